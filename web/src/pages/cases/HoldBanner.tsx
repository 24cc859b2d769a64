import '../../styles-cases.css'
import { useQuery } from '@tanstack/react-query'
import { can } from '../../access'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { fmtTime } from '../../format'
import { useMe } from '../../session'
import { caseKeys, type NumberHolds } from './caseTypes'

/**
 * On a number's page, for everyone who views numbers: the number is on hold (GET /api/v1/numbers/:msisdn/holds), for
 * which case, since when, and whether the network bar followed. Its custody and SIM do not change meanwhile.
 */
export function HoldBanner({ msisdn }: { msisdn: string }) {
  const me = useMe()
  const q = useQuery({
    queryKey: caseKeys.holdsOf(msisdn),
    queryFn: ({ signal }) => api<NumberHolds>(`/api/v1/numbers/${seg(msisdn)}/holds`, { signal }),
  })
  if (!q.data?.held) return null
  const viewCases = can(me.data?.staff.roles, 'cases')
  return (
    <div className="hold-banner" role="status" data-testid="hold-banner">
      {q.data.items.map((h) => (
        <span key={h.id} data-testid="hold-banner-case" data-reference={h.case_reference}>
          On hold — case{' '}
          {viewCases ? (
            <Link to={`/cases/${seg(h.case_reference)}`} className="mono">
              {h.case_reference}
            </Link>
          ) : (
            <span className="mono">{h.case_reference}</span>
          )}{' '}
          <span className="muted">
            since {fmtTime(h.placed_at)};{' '}
            {h.barred_on_network
              ? 'barred on the network'
              : 'not barred on the network until a compliance officer confirms the case'}
            . Its custody and SIM do not change meanwhile.
          </span>
        </span>
      ))}
    </div>
  )
}
