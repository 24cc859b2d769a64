import { useQuery } from '@tanstack/react-query'
import { api, qs, seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty, Field, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { navigate, useLocation } from '../../router'
import { CaseStatusBadge, SlaBadges } from './Badges'
import { type CaseSummary, caseKeys, STATUSES } from './caseTypes'

/**
 * Cases, newest first (GET /api/v1/cases), filtered by status: each with its reference, category, when it was
 * opened and its three service-level clocks — hold placed, first response, resolution — met, breached or pending.
 */
export function CasesPage() {
  const { query } = useLocation()
  const status = query.get('status') ?? ''
  const q = useQuery({
    queryKey: caseKeys.list(status),
    queryFn: ({ signal }) =>
      api<{ items: CaseSummary[] }>(`/api/v1/cases${qs({ status: status || undefined, limit: 200 })}`, { signal }),
    refetchInterval: 15_000,
  })
  return (
    <div className="page" data-testid="page-cases">
      <h1>Cases</h1>
      <p className="muted">
        Complaints and investigations. A complaint that a number was taken, its SIM swapped or an unwanted transfer made
        holds the number at once; the clocks show whether each deadline was met.
      </p>
      <div className="filters">
        <Field label="Status">
          <select
            value={status}
            onChange={(e) => navigate(`/cases${qs({ status: e.target.value || undefined })}`, { replace: true })}
            data-testid="cases-status-filter"
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <QueryView q={q} what="cases">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No cases here">
              {status ? `No case is ${label(status)}.` : 'Cases appear here once a complaint is opened.'}
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="cases-table">
                <thead>
                  <tr>
                    <th>Reference</th>
                    <th>Kind</th>
                    <th>Category</th>
                    <th>Status</th>
                    <th>Opened</th>
                    <th>Service levels</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((c) => (
                    <tr key={c.id} data-testid="case-row" data-reference={c.reference}>
                      <td>
                        <Link to={`/cases/${seg(c.reference)}`} className="mono" data-testid="case-link">
                          {c.reference}
                        </Link>
                      </td>
                      <td>{label(c.kind)}</td>
                      <td data-testid="case-category">{label(c.category)}</td>
                      <td>
                        <CaseStatusBadge status={c.status} />
                      </td>
                      <td className="nowrap">{fmtTime(c.opened_at)}</td>
                      <td>
                        <SlaBadges sla={c.sla} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </div>
  )
}
