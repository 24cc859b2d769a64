import type { AccountView } from '../../types'
import { CustomerAccess } from '../customer/CustomerAccess'

const PARTS: Record<string, string> = {
  holder: 'who holds the number',
  custodies: 'the custody timeline',
  sim_bindings: 'the SIMs (ICCIDs)',
  history_details: 'whom each record concerned',
  notice_bodies: 'the text of SMS notices and replies',
  former_holders: 'former holders',
}

/**
 * Where the account behind a number is withheld (invariant 10: an agent sees it only inside a customer session),
 * say so plainly and offer the way in — the "Verify customer" dialog — instead of an empty timeline.
 */
export function AccountWithheld({ msisdn, account }: { msisdn: string; account: AccountView }) {
  return (
    <section className="card" data-testid="account-withheld">
      <h2>{account.verify_customer ? 'Verify customer to see account details' : 'Account details not shown'}</h2>
      <p className="warn-note">{account.message}</p>
      {account.withheld.length > 0 && (
        <p className="muted">
          Not shown: {account.withheld.map((w) => PARTS[w] ?? w.replaceAll('_', ' ')).join(', ')}.
        </p>
      )}
      {account.verify_customer && <CustomerAccess msisdn={msisdn} />}
    </section>
  )
}
