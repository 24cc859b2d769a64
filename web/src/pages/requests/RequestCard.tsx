import { useMutation, useQueryClient } from '@tanstack/react-query'
import '../../styles-recycling.css'
import { useState } from 'react'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { ErrorBox } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { ConsentProgress } from '../changes/ConsentProgress'
import type { RequesterRecord, RequestView } from './requestTypes'

function who(p: { username: string | null; display_name: string | null; shop_id: string | null } | null): string {
  if (!p) return 'nobody'
  return `${p.display_name ?? p.username ?? 'unknown'}${p.shop_id ? ` (${p.shop_id})` : ''}`
}

/**
 * A payload the caller may not read (invariant 10): say so, and how to see it where verifying the customer would;
 * the SHA-256 stays, since it names nobody and is what an approver signs.
 */
function WithheldPayload({ r }: { r: RequestView }) {
  const w = r.payload_withheld
  return (
    <dl className="facts">
      <dt>Payload</dt>
      <dd data-testid="request-payload-withheld" data-verify={w?.verify_customer ? 'yes' : 'no'}>
        <strong>payload withheld{w?.verify_customer ? ' — verify the customer' : ''}</strong>
        {w?.message && <span className="muted"> {w.message}</span>}
        {w?.verify_customer && r.msisdn && (
          <>
            {' '}
            <Link to={`/numbers/${seg(r.msisdn)}`}>Open the number to verify them</Link>
          </>
        )}
      </dd>
      <dt>Payload SHA-256</dt>
      <dd>
        <code className="hash" data-testid="request-sha">
          {r.payload_sha256}
        </code>
      </dd>
    </dl>
  )
}

/** What the request asks, in words, then exactly what the approver signs: the payload and its SHA-256. */
function Payload({ r }: { r: RequestView }) {
  if (r.payload === null) return <WithheldPayload r={r} />
  const p = r.payload as { subscriber_id?: string; former_custody_id?: string; sim?: { iccid: string; source: string } }
  return (
    <dl className="facts">
      {r.kind === 'reclaim' && (
        <>
          <dt>Give back to</dt>
          <dd>
            {p.subscriber_id ? <Link to={`/subscribers/${seg(p.subscriber_id)}`}>the former holder</Link> : '—'}{' '}
            <span className="muted">(ID document checked in the shop)</span>
          </dd>
          <dt>SIM</dt>
          <dd className="mono">
            {p.sim?.iccid}{' '}
            <span className="muted">{p.sim?.source === 'former' ? 'their former SIM' : 'a new SIM of the shop'}</span>
          </dd>
        </>
      )}
      <dt>Payload</dt>
      <dd>
        <code className="payload" data-testid="request-payload">
          {JSON.stringify(r.payload)}
        </code>
      </dd>
      <dt>Payload SHA-256</dt>
      <dd>
        <code className="hash" data-testid="request-sha">
          {r.payload_sha256}
        </code>
      </dd>
    </dl>
  )
}

/** One request with the buttons the server says the caller may use (approve signs the shown payload hash). */
/**
 * A lost-SIM swap rests on an ID card, which a copy can fake: its approver reads what else the requester did lately
 * (their SIM swaps and the refusals they met) before approving it.
 */
function RequesterHistory({ r, record }: { r: RequestView; record: RequesterRecord }) {
  const others = record.swaps.filter((s) => s.id !== r.id)
  return (
    <section className="requester-record" data-testid="requester-record">
      <h4>
        {who(r.requested_by)} since {fmtTime(record.since)}
      </h4>
      <p data-testid="requester-swaps">
        {others.length === 0
          ? 'No other SIM swap filed.'
          : `${others.length} other SIM swap${others.length === 1 ? '' : 's'} filed: ${others
              .map((s) => `${label(s.kind)} ${label(s.status)} ${fmtTime(s.requested_at)}`)
              .join('; ')}.`}
      </p>
      <p data-testid="requester-refusals" className={record.refusals.length > 0 ? 'warn-note' : 'muted'}>
        {record.refusals.length === 0
          ? 'No refusal or alert in their name.'
          : `${record.refusals.length} refusal${record.refusals.length === 1 ? '' : 's'} or alert${
              record.refusals.length === 1 ? '' : 's'
            }: ${record.refusals
              .map(
                (a) =>
                  `${label(a.kind)} (${a.severity}${a.repeats > 1 ? `, ×${a.repeats}` : ''}) ${fmtTime(a.raised_at)}`,
              )
              .join('; ')}.`}
      </p>
    </section>
  )
}

export function RequestCard({ r }: { r: RequestView }) {
  const qc = useQueryClient()
  const [reason, setReason] = useState('')
  const act = useMutation({
    mutationFn: (step: { path: string; body: unknown }) =>
      api<RequestView>(`/api/v1/requests/${seg(r.id)}/${step.path}`, { method: 'POST', body: step.body }),
    onSettled: () => qc.invalidateQueries(),
  })
  const a = r.abilities
  return (
    <article
      className={`card request request-${r.status}`}
      data-testid="request-card"
      data-status={r.status}
      data-id={r.id}
    >
      <div className="card-head">
        <h3>
          {r.kind_label}{' '}
          {r.msisdn && (
            <Link to={`/numbers/${seg(r.msisdn)}`} className="mono">
              {r.msisdn}
            </Link>
          )}
        </h3>
        <span className={`badge request-status status-${r.status}`} data-testid="request-status">
          {label(r.status)}
        </span>
      </div>
      <p className="muted">
        Asked by {who(r.requested_by)} on {fmtTime(r.requested_at)} · approver {who(r.assigned_to)}
        {r.rule.approver_other_shop && ' (another shop, assigned by numguard)'} · expires {fmtTime(r.expires_at)}
      </p>
      {r.requester_record && <RequesterHistory r={r} record={r.requester_record} />}
      <Payload r={r} />
      {((r.rule.consents?.length ?? 0) > 0 || r.not_before) && <ConsentProgress r={r} />}
      {r.approvals.length > 0 && (
        <ul className="approvals">
          {r.approvals.map((x) => (
            <li key={`${x.approver.id}-${x.decided_at}`}>
              {label(x.decision)} by {who(x.approver)} on {fmtTime(x.decided_at)}
              {x.voided_at && <span className="pill ended">voided</span>}
            </li>
          ))}
        </ul>
      )}
      {r.outcome && r.status !== 'pending' && (
        <p className="muted" data-testid="request-outcome">
          Outcome: <code>{JSON.stringify(r.outcome)}</code>
        </p>
      )}
      <div className="actions">
        {a.approve && (
          <button
            type="button"
            className="btn primary"
            disabled={act.isPending}
            onClick={() => act.mutate({ path: 'approve', body: { payload_sha256: r.payload_sha256 } })}
            data-testid="request-approve"
          >
            Approve this payload
          </button>
        )}
        {a.execute && (
          <button
            type="button"
            className="btn primary"
            disabled={act.isPending}
            onClick={() => act.mutate({ path: 'execute', body: {} })}
            data-testid="request-execute"
          >
            Execute
          </button>
        )}
        {(a.reject || a.cancel) && (
          <>
            <input
              placeholder="reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              maxLength={500}
              data-testid="request-reason"
            />
            {a.reject && (
              <button
                type="button"
                className="btn"
                disabled={act.isPending || reason.trim().length < 3}
                onClick={() => act.mutate({ path: 'reject', body: { reason: reason.trim() } })}
                data-testid="request-reject"
              >
                Reject
              </button>
            )}
            {a.cancel && (
              <button
                type="button"
                className="btn ghost"
                disabled={act.isPending || reason.trim().length < 3}
                onClick={() => act.mutate({ path: 'cancel', body: { reason: reason.trim() } })}
                data-testid="request-cancel"
              >
                Withdraw request
              </button>
            )}
          </>
        )}
      </div>
      {act.error && <ErrorBox error={act.error} title="The request was not changed" />}
    </article>
  )
}
