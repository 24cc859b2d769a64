import { useState } from 'react'
import { seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty, ErrorBox, Field } from '../../components/Status'
import { fmtTime } from '../../format'
import { RequestCard } from '../requests/RequestCard'
import type { RequestView } from '../requests/requestTypes'
import { type CaseDetail, type CaseHold, useCaseChange } from './caseTypes'

/** Release → reason → a hold_release request another compliance officer approves (on the Requests page). */
function ReleaseHold({ hold, onFiled }: { hold: CaseHold; onFiled: (r: RequestView) => void }) {
  const [open, setOpen] = useState(false)
  const [reason, setReason] = useState('')
  const release = useCaseChange<RequestView>(
    () => ({ path: `/api/v1/holds/${seg(hold.id)}/release`, body: { reason: reason.trim() } }),
    (r) => {
      setOpen(false)
      onFiled(r)
    },
  )
  if (!open)
    return (
      <button type="button" className="btn small" onClick={() => setOpen(true)} data-testid="hold-release">
        Release…
      </button>
    )
  return (
    <form
      className="form-row"
      onSubmit={(e) => {
        e.preventDefault()
        release.mutate()
      }}
    >
      <Field label="Why release the hold">
        <input
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={1000}
          data-testid="hold-release-reason"
        />
      </Field>
      <button
        type="submit"
        className="btn primary"
        disabled={!reason.trim() || release.isPending}
        data-testid="hold-release-submit"
      >
        File release
      </button>
      <button type="button" className="btn ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {release.error && <ErrorBox error={release.error} title="Release refused" />}
    </form>
  )
}

/** A hold_release of this hold's number filed for the case and not yet decided or executed. */
const releaseOf = (c: CaseDetail, h: CaseHold) =>
  h.active
    ? c.requests.find(
        (r) => r.kind === 'hold_release' && r.msisdn === h.msisdn && ['pending', 'approved'].includes(r.status),
      )
    : undefined

/** The case's holds: when each was placed (minutes after the complaint), whether active, and its release. */
export function HoldsPanel({ c, manage, who }: { c: CaseDetail; manage: boolean; who: (id: string) => string }) {
  const [filed, setFiled] = useState<RequestView | null>(null)
  return (
    <section className="card" data-testid="case-holds">
      <h2>Holds</h2>
      {c.holds.length === 0 ? (
        <Empty title="No hold on this case">A compliance officer places one below.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Number</th>
                <th>Placed</th>
                <th>After the complaint</th>
                <th>By</th>
                <th>Reason</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {c.holds.map((h) => (
                <tr key={h.id} data-testid="case-hold" data-active={h.active ? 'yes' : 'no'}>
                  <td>
                    <Link to={`/numbers/${seg(h.msisdn)}`} className="mono">
                      {h.msisdn}
                    </Link>
                  </td>
                  <td className="nowrap">{fmtTime(h.placed_at)}</td>
                  <td data-testid="hold-minutes">{h.minutes_after_complaint} min</td>
                  <td>{who(h.placed_by)}</td>
                  <td>{h.reason}</td>
                  <td>
                    {h.active ? (
                      <span className="badge severity-risk">active</span>
                    ) : (
                      <span className="badge">released {fmtTime(h.released_at)}</span>
                    )}
                  </td>
                  <td>
                    {releaseOf(c, h) ? (
                      <span className="muted" data-testid="hold-release-pending">
                        release {releaseOf(c, h)?.status}: <Link to="/requests">on Requests</Link>
                      </span>
                    ) : (
                      manage && h.active && c.status !== 'closed' && <ReleaseHold hold={h} onFiled={setFiled} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {filed && (
        <div data-testid="hold-release-filed">
          <p className="ok-note">
            Release filed: another compliance officer approves it on the <Link to="/requests">Requests</Link> page; the
            hold stays until it executes.
          </p>
          <RequestCard r={filed} />
        </div>
      )}
    </section>
  )
}
