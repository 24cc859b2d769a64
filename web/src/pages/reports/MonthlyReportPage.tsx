import { useQuery } from '@tanstack/react-query'
import { Fragment, useState } from 'react'
import { api, qs } from '../../api'
import { Empty, QueryView } from '../../components/Status'
import { fmtCount, fmtTime, label } from '../../format'
import { useMeta } from '../../session'

interface StaffAlerts {
  staff_id: string
  username: string | null
  raised: number
  repeats: number
  by_kind: Record<string, number>
}
interface MonthlyReport {
  month: string
  time_zone: string
  from: string
  to: string
  complete: boolean
  leaves: { first_index: number | null; last_index: number | null; waiting_in_queue: boolean }
  checkpoint: { size: number; signed_at: string } | null
  counts: {
    leaves_counted: number
    numbers: Record<string, number>
    warnings: Record<string, number>
    transfers: { executed: number; with_holder_reply: number }
    sim_swaps: { executed: number; with_holder_reply: number; without_holder_reply: number }
    alerts: { raised: number; repeats: number; by_kind: Record<string, number>; by_staff: StaffAlerts[] }
    cases: Record<string, number>
    complaints_by_category: Record<string, number>
  }
  partner: {
    checks: number
    by_operation: Record<string, { answered: number; refused: number }>
    by_client: { client_id: string; checks: number }[]
  }
}

/** The month before `now`'s (the server's clock, the demo's included), YYYY-MM: the one a regulator asks for. */
function monthBefore(now: string | undefined): string {
  const d = now ? new Date(now) : new Date()
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() - 1)
  return d.toISOString().slice(0, 7)
}

function Figures({ title, figures }: { title: string; figures: Record<string, number> }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      <dl className="facts">
        {Object.entries(figures).map(([k, v]) => (
          <Fragment key={k}>
            <dt>{label(k)}</dt>
            <dd data-testid={`monthly-${title.toLowerCase().replaceAll(' ', '-')}-${k}`}>{fmtCount(v)}</dd>
          </Fragment>
        ))}
      </dl>
    </section>
  )
}

/**
 * The regulator's monthly report: the month's figures from the audit leaves, partner checks from their access log,
 * and the signed checkpoint that covers the leaves counted, so each figure can be recounted from an export.
 */
export function MonthlyReportPage() {
  const meta = useMeta()
  const [month, setMonth] = useState(() => monthBefore(meta.data?.now))
  const q = useQuery({
    queryKey: ['reports', 'monthly', month],
    queryFn: ({ signal }) => api<MonthlyReport>(`/api/v1/reports/monthly${qs({ month })}`, { signal }),
    enabled: /^\d{4}-\d{2}$/.test(month),
  })
  return (
    <div className="page" data-testid="page-monthly">
      <h1>Monthly report</h1>
      <p className="muted">
        Counted from the audit log alone, for the month in the operator's time zone. The report names the leaves it
        counted and the signed checkpoint that covers them: anyone can recount them from an audit export.
      </p>
      <div className="form-row">
        <input
          type="month"
          value={month}
          onChange={(e) => setMonth(e.target.value)}
          required
          data-testid="monthly-month"
        />
        <a
          className="btn"
          href={`/api/v1/reports/monthly${qs({ month, format: 'csv' })}`}
          download={`numguard-monthly-${month}.csv`}
        >
          Download CSV
        </a>
        <a
          className="btn"
          href={`/api/v1/reports/monthly${qs({ month, format: 'pdf' })}`}
          download={`numguard-monthly-${month}.pdf`}
          data-testid="monthly-pdf"
        >
          Download PDF
        </a>
      </div>
      <QueryView q={q} what="the monthly report">
        {(r) => (
          <>
            <section className="card" data-testid="monthly-summary">
              <dl className="facts">
                <dt>Period</dt>
                <dd>
                  {fmtTime(r.from)} – {fmtTime(r.to)} ({r.time_zone})
                </dd>
                <dt>Leaves counted</dt>
                <dd>
                  {r.leaves.first_index === null
                    ? 'none'
                    : `${fmtCount(r.counts.leaves_counted)} (leaves ${r.leaves.first_index}–${r.leaves.last_index})`}
                </dd>
                <dt>Signed checkpoint</dt>
                <dd>
                  {r.checkpoint
                    ? `size ${fmtCount(r.checkpoint.size)}, ${fmtTime(r.checkpoint.signed_at)}`
                    : 'none yet'}
                </dd>
                <dt>Status</dt>
                <dd data-testid="monthly-complete">
                  {r.complete ? 'final' : 'not final: the month has not ended or its leaves are not all signed yet'}
                </dd>
              </dl>
            </section>
            <div className="grid two">
              <Figures title="Numbers" figures={r.counts.numbers} />
              <Figures title="Warnings" figures={r.counts.warnings} />
              <Figures
                title="Changes"
                figures={{
                  transfers: r.counts.transfers.executed,
                  sim_swaps_with_holder_reply: r.counts.sim_swaps.with_holder_reply,
                  sim_swaps_without_holder_reply: r.counts.sim_swaps.without_holder_reply,
                }}
              />
              <Figures title="Complaints, holds and service levels" figures={r.counts.cases} />
              <Figures title="Complaints by category" figures={r.counts.complaints_by_category} />
              <Figures
                title="Partner checks"
                figures={Object.fromEntries([
                  ['total', r.partner.checks],
                  ...Object.entries(r.partner.by_operation).map(([op, n]) => [op, n.answered + n.refused]),
                ])}
              />
            </div>
            <section className="card">
              <h2>Alerts by staff member</h2>
              {r.counts.alerts.by_staff.length === 0 ? (
                <Empty title="No alert raised by a staff member's action this month" />
              ) : (
                <div className="table-wrap">
                  <table className="table" data-testid="monthly-staff">
                    <thead>
                      <tr>
                        <th>Staff member</th>
                        <th>Alerts</th>
                        <th>Repeats</th>
                        <th>Kinds</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.counts.alerts.by_staff.map((s) => (
                        <tr key={s.staff_id}>
                          <td>{s.username ?? s.staff_id}</td>
                          <td>{fmtCount(s.raised)}</td>
                          <td>{fmtCount(s.repeats)}</td>
                          <td>
                            {Object.entries(s.by_kind)
                              .map(([k, n]) => `${label(k)} ×${n}`)
                              .join(', ')}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </>
        )}
      </QueryView>
    </div>
  )
}
