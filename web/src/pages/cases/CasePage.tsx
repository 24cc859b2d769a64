import { useQuery } from '@tanstack/react-query'
import { can } from '../../access'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { ShortId } from '../../components/ShortId'
import { QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { Me } from '../../types'
import { AnalysisPanel } from './AnalysisPanel'
import { CaseStatusBadge, SlaClocks } from './Badges'
import { CaseActions } from './CaseActions'
import { CaseFileTimeline } from './CaseFileTimeline'
import { CaseRecords } from './CaseRecords'
import { type CaseDetail, caseKeys } from './caseTypes'
import { FindingsPanel } from './FindingsPanel'
import { HoldsPanel } from './HoldsPanel'
import { IncidentReportLinks } from './IncidentReportLinks'
import { OffersPanel } from './OffersPanel'
import { useStaffNames } from './staffNames'

/**
 * One case (GET /api/v1/cases/:id, id or reference): what was complained of and by whom, its numbers and holds, its
 * clocks, what a compliance officer does next, the internal analysis and the case file from the audit log.
 */
export function CasePage({ id, me }: { id: string; me: Me }) {
  const q = useQuery({
    queryKey: caseKeys.one(id),
    queryFn: ({ signal }) => api<CaseDetail>(`/api/v1/cases/${seg(id)}`, { signal }),
  })
  const who = useStaffNames()
  const manage = can(me.staff.roles, 'manageCases')
  return (
    <div className="page" data-testid="page-case">
      <p className="crumbs">
        <Link to="/cases">Cases</Link> / <span className="mono">{id}</span>
      </p>
      <QueryView q={q} what={`case ${id}`}>
        {(c) => (
          <>
            <div className="title-row">
              <h1 className="mono" data-testid="case-reference">
                {c.reference}
              </h1>
              <CaseStatusBadge status={c.status} />
              <span className="muted">
                {label(c.kind)} · {label(c.category)}
              </span>
            </div>
            <IncidentReportLinks c={c} />
            <div className="grid two">
              <section className="card" data-testid="case-summary">
                <h2>Summary</h2>
                <dl className="facts">
                  <dt>Opened</dt>
                  <dd>
                    {fmtTime(c.opened_at)} by {who(c.opened_by)}
                    {c.opened_in_shop && <span className="muted"> in {c.opened_in_shop}</span>}
                  </dd>
                  <dt>Market</dt>
                  <dd>{c.market}</dd>
                  <dt>Owner</dt>
                  <dd data-testid="case-owner">{c.owner_id ? who(c.owner_id) : 'nobody has taken it yet'}</dd>
                  <dt>Confirmed</dt>
                  <dd data-testid="case-confirmed">
                    {c.confirmed_at
                      ? `${fmtTime(c.confirmed_at)} by ${who(c.confirmed_by)} (held numbers barred on the network)`
                      : 'not yet: the network bar waits for a compliance officer'}
                  </dd>
                  <dt>First response</dt>
                  <dd>{fmtTime(c.first_response_at)}</dd>
                  <dt>Resolved</dt>
                  <dd>{fmtTime(c.resolved_at)}</dd>
                  <dt>Closed</dt>
                  <dd>{fmtTime(c.closed_at)}</dd>
                  <dt>Numbers</dt>
                  <dd data-testid="case-numbers">
                    {c.numbers.map((n) => (
                      <Link key={n} to={`/numbers/${seg(n)}`} className="mono">
                        {n}{' '}
                      </Link>
                    ))}
                  </dd>
                </dl>
                <p data-testid="case-description" className="pre-wrap">
                  {c.description}
                </p>
              </section>
              <section className="card" data-testid="case-complainant">
                <h2>Complainant</h2>
                {c.complainant ? (
                  <dl className="facts">
                    <dt>Subscriber</dt>
                    <dd>
                      {c.complainant.subscriber_id ? (
                        <Link to={`/subscribers/${seg(c.complainant.subscriber_id)}`}>
                          <ShortId value={c.complainant.subscriber_id} />
                        </Link>
                      ) : (
                        '—'
                      )}
                    </dd>
                    <dt>Proven against custody</dt>
                    <dd>{c.complainant.custody_id ? <ShortId value={c.complainant.custody_id} /> : '—'}</dd>
                    <dt>Proven by</dt>
                    <dd data-testid="complainant-method">{label(c.complainant.method)}</dd>
                    <dt>Contact now</dt>
                    <dd className="mono">{c.complainant.contact ?? '—'}</dd>
                  </dl>
                ) : (
                  <p className="muted">An investigation: nobody complained.</p>
                )}
              </section>
            </div>
            <section className="card">
              <h2>Service levels</h2>
              <SlaClocks sla={c.sla} />
            </section>
            <HoldsPanel c={c} manage={manage} who={who} />
            {manage && <CaseActions c={c} me={me} />}
            <CaseRecords c={c} who={who} />
            <OffersPanel c={c} manage={manage} who={who} />
            <FindingsPanel c={c} manage={manage} who={who} />
            <AnalysisPanel caseId={c.id} />
            <CaseFileTimeline caseId={c.id} />
          </>
        )}
      </QueryView>
    </div>
  )
}
