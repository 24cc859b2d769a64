import { useMutation, useQueryClient } from '@tanstack/react-query'
import { can } from '../../access'
import { api } from '../../api'
import { ErrorBox, QueryView } from '../../components/Status'
import { fmtTime, TZ_LABEL } from '../../format'
import { useMeta } from '../../session'

const STEPS = [
  { by: '1d', label: 'Advance 1 day' },
  { by: '30d', label: 'Advance 30 days' },
]

/**
 * The numguard clock; in demo mode staff who work on numbers can move it forward to watch the recycling rules act
 * (auditors and admins only read it, as the server enforces).
 */
export function ClockCard({ roles }: { roles: readonly string[] }) {
  const meta = useMeta()
  const qc = useQueryClient()
  const advance = useMutation({
    mutationFn: (by: string) => api<{ now: string }>('/api/v1/demo/clock/advance', { method: 'POST', body: { by } }),
    onSuccess: () => qc.invalidateQueries(),
  })
  return (
    <section className="card" data-testid="clock-card">
      <h2>numguard clock</h2>
      <QueryView q={meta} what="the clock">
        {(m) => (
          <>
            <div className="clock-big mono" data-testid="clock-now" data-iso={m.now}>
              {fmtTime(m.now)}
            </div>
            <p className="muted">
              {TZ_LABEL} · mode <strong>{m.mode}</strong> · version {m.version}
            </p>
            {m.clock_movable && can(roles, 'clock') ? (
              <div className="actions">
                {STEPS.map((s) => (
                  <button
                    key={s.by}
                    type="button"
                    className="btn"
                    disabled={advance.isPending}
                    onClick={() => advance.mutate(s.by)}
                    data-testid={`clock-advance-${s.by}`}
                  >
                    {s.label}
                  </button>
                ))}
              </div>
            ) : (
              <p className="hint" data-testid="clock-fixed">
                {m.clock_movable
                  ? 'The demo clock is moved by staff who work on numbers; your roles read it only.'
                  : `The clock follows real time${m.mode === 'demo' ? ' (not movable here)' : ''}.`}
              </p>
            )}
            {advance.error && <ErrorBox error={advance.error} title="The clock did not move" />}
          </>
        )}
      </QueryView>
    </section>
  )
}
