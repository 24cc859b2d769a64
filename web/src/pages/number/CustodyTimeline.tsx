import { seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { Custody } from '../../types'

/** Custodies newest first, as a vertical timeline: who held the number, from when to when, and on what basis. */
export function CustodyTimeline({ custodies }: { custodies: Custody[] }) {
  if (custodies.length === 0)
    return <Empty title="Never held">This number has had no custody yet. It starts with a sale.</Empty>
  return (
    <ol className="timeline" data-testid="custody-timeline">
      {custodies.map((c) => (
        <li key={c.id} className={c.ended_at ? 'ended' : 'open'} data-testid="custody-item">
          <div className="tl-when">
            {fmtTime(c.started_at)} → {c.ended_at ? fmtTime(c.ended_at) : <strong>now</strong>}
          </div>
          <div className="tl-what">
            {c.subscriber ? (
              <Link to={`/subscribers/${seg(c.subscriber.id)}`}>{c.subscriber.name ?? c.subscriber.name_masked}</Link>
            ) : (
              <span className="muted" data-testid="custody-holder-withheld">
                another holder (not shown)
              </span>
            )}{' '}
            <span className="pill">{label(c.basis)}</span>
            {c.ended_at && <span className="pill ended">ended: {label(c.end_reason)}</span>}
          </div>
          <div className="tl-meta muted">
            {c.subscriber && (
              <>
                {label(c.subscriber.party_kind)} · {label(c.subscriber.account_type)} · {c.subscriber.language} · KYC{' '}
                {label(c.subscriber.kyc_doc_kind)}
                {c.subscriber.kyc_doc_last4 && <> …{c.subscriber.kyc_doc_last4}</>}
              </>
            )}
            {c.request_id && (
              <>
                {' '}
                · request <code>{c.request_id}</code>
              </>
            )}
            {c.migration_batch_id && (
              <>
                {' '}
                · migration batch <code>{c.migration_batch_id}</code>
              </>
            )}
          </div>
        </li>
      ))}
    </ol>
  )
}
