import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { can } from '../../access'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { fmtTime } from '../../format'
import { navigate } from '../../router'
import { useMe } from '../../session'
import type { CustomerSession } from '../../types'
import { VerifyCustomer } from './VerifyCustomer'

/** The agent's open customer sessions and pending codes in this sign-in. */
export function useCustomerSessions(enabled: boolean) {
  return useQuery({
    queryKey: ['customer-sessions'],
    queryFn: ({ signal }) => api<{ items: CustomerSession[] }>('/api/v1/customer-sessions', { signal }),
    enabled,
    staleTime: 15_000,
  })
}

/**
 * On a number's page, for an agent: the way into the holder's account. With an open customer session, a link to
 * the details; without one, the "Verify customer" dialog.
 */
export function CustomerAccess({ msisdn, subscriberId }: { msisdn: string; subscriberId?: string }) {
  const me = useMe()
  const qc = useQueryClient()
  const agent = can(me.data?.staff.roles, 'customerSession')
  const sessions = useCustomerSessions(agent)
  const [verifying, setVerifying] = useState(false)
  if (!agent) return null
  const current = subscriberId
    ? sessions.data?.items.find((s) => s.state === 'open' && s.subscriber_id === subscriberId)
    : undefined
  if (current)
    return (
      <p className="ok-note" data-testid="customer-verified">
        Customer verified until {fmtTime(current.expires_at)}:{' '}
        <Link to={`/subscribers/${seg(current.subscriber_id)}`}>open the customer’s account</Link>
      </p>
    )
  if (verifying)
    return (
      <VerifyCustomer
        msisdn={msisdn}
        onOpened={(s) => {
          // The number's page shows the account once the customer is verified: fetch it again for the way back.
          qc.invalidateQueries({ queryKey: ['number', msisdn] })
          navigate(`/subscribers/${seg(s.subscriber_id)}`)
        }}
        onClose={() => setVerifying(false)}
      />
    )
  return (
    <div className="actions">
      <button type="button" className="btn" onClick={() => setVerifying(true)} data-testid="verify-customer-button">
        Verify customer
      </button>
      <span className="muted">to see the holder’s account (name, contact, ID, SIM)</span>
    </div>
  )
}
