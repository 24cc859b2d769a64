// Loaded lazily: recharts is most of the bundle and only the dashboard needs it.
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { STATE_COLORS } from '../../colors'
import { label } from '../../format'
import { NUMBER_STATES, type Stats } from '../../types'

export default function StatsChart({ byState }: { byState: Stats['by_state'] }) {
  const data = NUMBER_STATES.map((st) => ({ state: st, name: label(st), count: byState[st] ?? 0 }))
  return (
    <div className="chart" role="img" aria-label="Bar chart of numbers by state" data-testid="stats-chart">
      <ResponsiveContainer width="100%" height={250}>
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} tick={{ fontSize: 12 }} />
          <YAxis type="category" dataKey="name" tick={{ fontSize: 12 }} width={80} interval={0} />
          <Tooltip />
          <Bar dataKey="count" name="numbers" isAnimationActive={false}>
            {NUMBER_STATES.map((st) => (
              <Cell key={st} fill={STATE_COLORS[st]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  )
}
