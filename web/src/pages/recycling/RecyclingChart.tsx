// Loaded lazily, like the dashboard's chart: recharts is most of the bundle.
import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { GROUPS } from './groups'

export default function RecyclingChart({ counts }: { counts: Record<string, number> }) {
  const data = GROUPS.map((g) => ({ key: g.key, name: g.label, count: counts[g.key] ?? 0, color: g.color }))
  return (
    <div
      className="chart"
      role="img"
      aria-label="Bar chart of prepaid numbers by recycling stage"
      data-testid="recycling-chart"
    >
      <ResponsiveContainer width="100%" height={230}>
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 40 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} tick={{ fontSize: 12 }} />
          <YAxis type="category" dataKey="name" tick={{ fontSize: 12 }} width={110} interval={0} />
          <Tooltip />
          <Bar dataKey="count" name="numbers" isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.key} fill={d.color} />
            ))}
            <LabelList dataKey="count" position="right" style={{ fontSize: 12 }} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  )
}
