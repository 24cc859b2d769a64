import '../../styles-changes.css'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { can } from '../../access'
import { api, seg } from '../../api'
import { useMe } from '../../session'
import type { NumberDetail } from '../../types'
import { RequestCard } from '../requests/RequestCard'
import type { RequestView } from '../requests/requestTypes'
import { ACTION_LABEL, type ChangeAction, type FiledChange, type SwapLock } from './changeTypes'
import { KycChangeForm, lockText, SwapLockForm, TerminationForm } from './HolderForms'
import { LegalOrderForm } from './LegalOrderForm'
import { SwapForm } from './SwapForm'
import { TransferForm } from './TransferForm'

const AGENT_ACTIONS: ChangeAction[] = [
  'transfer',
  'sim_swap',
  'sim_swap_lost',
  'termination',
  'kyc_change',
  'swap_lock',
]
/** Changes that hand over or check something in a shop: the agent must belong to one. */
const IN_SHOP: ChangeAction[] = ['transfer', 'sim_swap', 'sim_swap_lost', 'swap_lock']

/** The request just filed, kept fresh while it waits for the holder, the approver or its time. */
function FiledRequest({ filed }: { filed: FiledChange }) {
  const q = useQuery({
    queryKey: ['requests', filed.id],
    queryFn: ({ signal }) => api<RequestView>(`/api/v1/requests/${seg(filed.id)}`, { signal }),
    initialData: filed,
    refetchInterval: (query) => (['pending', 'approved'].includes(query.state.data?.status ?? '') ? 5_000 : false),
  })
  return (
    <div data-testid="filed-request">
      <p className="ok-note">
        Filed.{filed.consent_code_sent && ' A code was sent to the holder’s phone; they agree by replying to it.'}
      </p>
      <RequestCard r={q.data} />
    </div>
  )
}

/**
 * On a number's page: the changes an agent files for the holder standing in front of them (only inside a customer
 * session for that holder), and a compliance officer's legal order. The server checks everything again.
 */
export function ChangesPanel({ n }: { n: NumberDetail }) {
  const me = useMe()
  const [open, setOpen] = useState<ChangeAction | null>(null)
  const [filed, setFiled] = useState<FiledChange | null>(null)
  const [lock, setLock] = useState<SwapLock | null>(null)
  const roles = me.data?.staff.roles
  const shopId = me.data?.staff.shop_id ?? null
  const held = n.state === 'active' || n.state === 'suspended'
  const agent = held && can(roles, 'requestChanges')
  const agentInSession = agent && n.account.view === 'holder'
  const officer = held && can(roles, 'legalOrders')
  if (!agent && !officer) return null
  const actions = [...(agentInSession ? AGENT_ACTIONS : []), ...(officer ? (['legal_order'] as const) : [])]
  const start = (a: ChangeAction) => {
    setOpen(a)
    setFiled(null)
    setLock(null)
  }
  const done = (r: FiledChange) => {
    setOpen(null)
    setFiled(r)
  }
  const close = () => setOpen(null)
  const form = () => {
    const common = { msisdn: n.msisdn, onCancel: close }
    switch (open) {
      case 'transfer':
        return <TransferForm {...common} shopId={shopId as string} onDone={done} />
      case 'sim_swap':
      case 'sim_swap_lost':
        return <SwapForm {...common} shopId={shopId as string} lost={open === 'sim_swap_lost'} onDone={done} />
      case 'termination':
        return <TerminationForm {...common} onDone={done} />
      case 'kyc_change':
        return <KycChangeForm {...common} onDone={done} />
      case 'swap_lock':
        return (
          <SwapLockForm
            {...common}
            onDone={(l) => {
              setOpen(null)
              setLock(l)
            }}
          />
        )
      case 'legal_order':
        return <LegalOrderForm {...common} onDone={done} />
      default:
        return null
    }
  }
  return (
    <section className="card" data-testid="changes-panel">
      <h2>Changes</h2>
      {agent && !agentInSession && (
        <p className="muted">Verify the customer (above) to file a transfer, SIM swap, termination or KYC change.</p>
      )}
      {actions.length > 0 && (
        <div className="actions">
          {actions.map((a) => {
            const noShop = IN_SHOP.includes(a) && !shopId
            return (
              <button
                key={a}
                type="button"
                className={open === a ? 'btn primary' : 'btn'}
                disabled={noShop}
                title={noShop ? 'Filed in a shop: your account belongs to none' : undefined}
                onClick={() => start(a)}
                data-testid={`change-${a}`}
              >
                {ACTION_LABEL[a]}
              </button>
            )
          })}
        </div>
      )}
      {form()}
      {filed && <FiledRequest filed={filed} />}
      {lock && (
        <p className="ok-note" data-testid="swap-lock-result">
          SIM-swap lock: {lockText(lock)}
        </p>
      )}
    </section>
  )
}
