// Shapes of the change routes (src/changes): what filing returns, a request's consents, the SIM-swap lock and history.
import type { RequestView } from '../requests/requestTypes'

/** POST /api/v1/numbers/:msisdn/<change>: the request as filed, with the consents recorded in the shop. */
export interface FiledChange extends RequestView {
  consents: { party: string; method: string; recorded_at: string }[]
  consent_code_sent: boolean
  notice_ids: string[]
}

/** GET /api/v1/requests/:id/consents: never the code itself, only whether one is waiting. */
export interface ConsentStatus {
  request_id: string
  recorded: { party: string; method: 'mo_code' | 'id_check'; recorded_at: string }[]
  outstanding: { party: string; method: 'mo_code' | 'id_check' }[]
  holder_code: {
    state: 'pending' | 'used' | 'expired' | 'void' | 'superseded'
    sent_at: string
    expires_at: string
    attempts_left: number
  } | null
}

export interface SwapLock {
  msisdn: string
  locked: boolean
  locked_at: string | null
  locked_via: 'sms' | 'shop' | null
  /** When a requested UNLOCK takes effect; the lock stays on until then. */
  unlocks_at: string | null
}

export interface SimSwapItem {
  msisdn: string
  swapped_at: string
  kind: 'sim_swap' | 'sim_swap_lost'
  request_id: string
  /** null with `withheld`: the SIMs are the holder's account, outside the caller's view (invariant 10). */
  old_iccid: string | null
  new_iccid: string | null
  withheld?: boolean
}

/** The changes an agent files for the holder standing in the shop, and the compliance officer's legal order. */
export type ChangeAction =
  | 'transfer'
  | 'sim_swap'
  | 'sim_swap_lost'
  | 'termination'
  | 'kyc_change'
  | 'swap_lock'
  | 'legal_order'

export const ACTION_LABEL: Record<ChangeAction, string> = {
  transfer: 'Transfer to a new holder',
  sim_swap: 'SIM swap (customer has SIM)',
  sim_swap_lost: 'SIM swap (lost/stolen)',
  termination: 'Terminate',
  kyc_change: 'KYC change',
  swap_lock: 'Swap lock on/off',
  legal_order: 'Legal order',
}

/** Who gives a consent, in words. */
export const PARTY_LABEL: Record<string, string> = {
  holder: 'the holder',
  new_holder: 'the new holder',
  former_holder: 'the former holder',
}
