import '../../styles-changes.css'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { ErrorBox } from '../../components/Status'
import { fmtTime } from '../../format'
import { useMe, useMeta } from '../../session'
import type { RequestView } from '../requests/requestTypes'
import { type ConsentStatus, PARTY_LABEL } from './changeTypes'

const open = (status: string) => status === 'pending' || status === 'approved'

function codeState(c: ConsentStatus['holder_code']): string {
  if (!c) return 'no code sent yet'
  if (c.state === 'pending')
    return `code sent ${fmtTime(c.sent_at)}, valid until ${fmtTime(c.expires_at)}, ${c.attempts_left} tries left`
  if (c.state === 'expired') return `the code sent ${fmtTime(c.sent_at)} has expired`
  if (c.state === 'void') return 'the code was voided (too many wrong tries, or the request closed)'
  return `the last code is ${c.state}`
}

/**
 * Where a change stands with the people it needs: its waiting time, the consents recorded and those still
 * outstanding (the holder's word comes only as an SMS reply from their phone), and "Send a new code" for the
 * requester when the holder's code ran out.
 */
export function ConsentProgress({ r }: { r: RequestView }) {
  const me = useMe()
  const now = useMeta().data?.now
  const qc = useQueryClient()
  const live = open(r.status)
  const key = ['requests', r.id, 'consents']
  const q = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => api<ConsentStatus>(`/api/v1/requests/${seg(r.id)}/consents`, { signal }),
    refetchInterval: live ? 5_000 : false,
  })
  const resend = useMutation({
    mutationFn: () => api(`/api/v1/requests/${seg(r.id)}/consent-code`, { method: 'POST', body: {} }),
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  })
  const c = q.data
  const awaitingCode = c?.outstanding.some((o) => o.method === 'mo_code') ?? false
  const mine = me.data?.staff.id === r.requested_by.id
  return (
    <div className="consent-progress" data-testid="consent-progress">
      {live &&
        r.not_before &&
        (!now || r.not_before > now ? (
          <p data-testid="request-waiting">
            Waits until <strong>{fmtTime(r.not_before)}</strong>; the holder may stop it by replying NO until then.
          </p>
        ) : (
          <p className="muted">Its waiting time ended {fmtTime(r.not_before)}.</p>
        ))}
      {c && (
        <ul className="consents">
          {c.recorded.map((x) => (
            <li key={`${x.party}-${x.method}`} className="ok-note">
              {PARTY_LABEL[x.party] ?? x.party}{' '}
              {x.method === 'mo_code' ? 'agreed by SMS reply' : 'showed their ID in the shop'} on{' '}
              {fmtTime(x.recorded_at)}
            </li>
          ))}
          {live &&
            c.outstanding.map((x) => (
              <li key={`${x.party}-${x.method}`} data-testid="consent-outstanding">
                {x.method === 'mo_code' ? (
                  <>
                    Waiting for {PARTY_LABEL[x.party] ?? x.party} to reply <strong>YES &lt;code&gt;</strong> from their
                    phone <span className="muted">({codeState(c.holder_code)})</span>
                  </>
                ) : (
                  <>Waiting for {PARTY_LABEL[x.party] ?? x.party} to show their ID in a shop</>
                )}
              </li>
            ))}
        </ul>
      )}
      {live && awaitingCode && mine && (
        <div className="actions">
          <button
            type="button"
            className="btn small"
            disabled={resend.isPending}
            onClick={() => resend.mutate()}
            data-testid="send-new-code"
          >
            {resend.isPending ? 'Sending…' : 'Send a new code'}
          </button>
          <span className="muted">The code goes to the holder’s phone only; never ask them to read it to you.</span>
        </div>
      )}
      {resend.isSuccess && <p className="ok-note">A new code was sent to {r.msisdn}.</p>}
      {(q.error || resend.error) && <ErrorBox error={q.error ?? resend.error} title="Consents" />}
    </div>
  )
}
