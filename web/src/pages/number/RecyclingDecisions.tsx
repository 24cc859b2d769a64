import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, seg } from '../../api'
import { ErrorBox } from '../../components/Status'
import { fmtTime, label } from '../../format'

/** Why a withdrawal waits and what a person may decide (GET /api/v1/numbers/:msisdn/recycling → decisions). */
export interface DecisionView {
  waiting_on: string[]
  last_usage_at: string | null
  usage_veto_until: string | null
  usage_veto_override: { by: string; by_username: string | null; at: string } | null
  usage_decision_open: boolean
  warnings: {
    stage: number
    attempt: number
    state: string
    notice_id: string
    queued_at: string
    replaceable: boolean
  }[]
  next_check_at: string | null
}

export interface DecisionAbilities {
  decide_usage_veto?: boolean
  rewarn?: boolean
}

const REASON_TEXT: Record<string, string> = {
  usage_veto: 'the number was used in the veto period: a compliance officer decides',
  warnings_missing: 'not every warning of this cycle has been queued',
  warnings_in_flight: 'a warning is on its way; its delivery receipts normally follow within minutes',
  warnings_not_evidenced: 'a warning has no final delivery receipt for every part',
  evidence_too_recent: 'the last warning’s receipt is less than 5 days old',
  feed_silent: 'a charging source has been silent for more than 6 hours',
}

type Open = 'keep' | 'withdraw_despite_usage' | 'rewarn' | null

/**
 * The part of the recycling panel where a person decides a waiting withdrawal: the usage veto (keep the holder, or
 * withdraw despite the usage) and a replacement for a warning that ended failed or unknown. Buttons follow the
 * abilities the server sent; the server checks every decision again.
 */
export function RecyclingDecisions({
  msisdn,
  decisions: d,
  abilities,
}: {
  msisdn: string
  decisions: DecisionView
  abilities: DecisionAbilities
}) {
  const qc = useQueryClient()
  const [open, setOpen] = useState<Open>(null)
  const [reason, setReason] = useState('')
  const act = useMutation({
    mutationFn: (step: { path: string; body: unknown }) =>
      api(`/api/v1/numbers/${seg(msisdn)}/recycling/${step.path}`, { method: 'POST', body: step.body }),
    onSuccess: () => {
      setOpen(null)
      setReason('')
      qc.invalidateQueries({ queryKey: ['number', msisdn] })
    },
  })
  const unevidenced = d.warnings.filter((w) => w.replaceable)
  if (d.waiting_on.length === 0 && unevidenced.length === 0 && !d.usage_veto_override) return null

  function submit(e: FormEvent) {
    e.preventDefault()
    if (open === 'rewarn') act.mutate({ path: 'rewarn', body: { reason } })
    else if (open) act.mutate({ path: 'decision', body: { decision: open, reason } })
  }
  const toggle = (what: Open) => {
    act.reset()
    setOpen(open === what ? null : what)
  }

  return (
    <div className="recycling-decisions" data-testid="recycling-decisions">
      {d.waiting_on.length > 0 && (
        <>
          <h3 className="decisions-title">Why the withdrawal waits</h3>
          <ul data-testid="waiting-reasons">
            {d.waiting_on.map((r) => (
              <li key={r} data-reason={r}>
                <strong>{label(r)}</strong> — {REASON_TEXT[r] ?? r}
                {r === 'usage_veto' && d.last_usage_at && (
                  <span className="muted">
                    {' '}
                    (last usage {fmtTime(d.last_usage_at)}
                    {d.usage_veto_until ? `; the veto ends ${fmtTime(d.usage_veto_until)}` : ''})
                  </span>
                )}
              </li>
            ))}
          </ul>
          {d.next_check_at && <p className="hint">Looked at again {fmtTime(d.next_check_at)}.</p>}
        </>
      )}
      {d.usage_veto_override && (
        <p data-testid="usage-veto-override">
          Usage veto overridden by {d.usage_veto_override.by_username ?? d.usage_veto_override.by} on{' '}
          {fmtTime(d.usage_veto_override.at)}: the withdrawal goes ahead once the evidence and the feed allow it.
        </p>
      )}
      {unevidenced.length > 0 && (
        <p data-testid="unevidenced-warnings">
          Never evidence:{' '}
          {unevidenced
            .map((w) => `warning ${w.stage} ${label(w.state)}${w.attempt > 0 ? ` (attempt ${w.attempt})` : ''}`)
            .join(', ')}
          {unevidenced.some((w) => w.state === 'unknown') && (
            <span className="muted">
              {' '}
              — an unknown outcome may have reached the phone; a person decides to send again.
            </span>
          )}
        </p>
      )}
      <div className="btn-row">
        {abilities.decide_usage_veto && (
          <button type="button" className="btn small" onClick={() => toggle('keep')} data-testid="decide-keep">
            Keep with the holder…
          </button>
        )}
        {abilities.decide_usage_veto && !d.usage_veto_override && (
          <button
            type="button"
            className="btn small"
            onClick={() => toggle('withdraw_despite_usage')}
            data-testid="decide-withdraw"
          >
            Withdraw despite usage…
          </button>
        )}
        {abilities.rewarn && (
          <button type="button" className="btn small" onClick={() => toggle('rewarn')} data-testid="decide-rewarn">
            Send a replacement warning…
          </button>
        )}
      </div>
      {open && (
        <form className="inline-form" onSubmit={submit}>
          <p className="hint">
            {open === 'keep' && 'A new inactivity cycle starts now for the holder, as a top-up would start one.'}
            {open === 'withdraw_despite_usage' &&
              'This cycle only, and only for the usage seen so far: the withdrawal still needs every warning evidenced 5 days earlier and a healthy charging feed.'}
            {open === 'rewarn' &&
              'The replacement tells the holder a withdrawal date at least 5 days ahead; the withdrawal then rests on its receipts.'}
          </p>
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="Why (at least 10 characters; kept in the audit log)"
            required
            minLength={10}
            maxLength={1000}
            aria-label="Reason"
            data-testid="decision-reason"
          />
          <button type="submit" className="btn primary small" disabled={act.isPending} data-testid="decision-submit">
            {open === 'rewarn' ? 'Queue the replacement' : 'Record the decision'}
          </button>
          {act.error !== null && <ErrorBox error={act.error} title="Refused" />}
        </form>
      )}
    </div>
  )
}
