// Wires this feature into the request workflow (executors with their consent check) and the SMS replies.
import type { CommandContext } from '../audit/index.ts'
import { DomainError } from '../domain/errors.ts'
import type { RequestRecord } from '../requests/index.ts'
import { registerRequestExecutor } from '../requests/index.ts'
import { registerMoHandler } from '../sms/index.ts'
import { requireConsents } from './file-change.ts'
import { executeKycChange, executeTermination } from './holder-changes.ts'
import { lockMoHandler, noHandler, unlockMoHandler, yesHandler } from './holder-replies.ts'
import { executeLegalOrder } from './legal-order.ts'
import { swapLockOf } from './swap-lock.ts'
import { executeSimSwap, type SwapPayload } from './swaps.ts'
import { executeTransfer } from './transfer.ts'

/** A swap with the SIM executes under the lock only if the holder's ID was checked in the shop. */
async function beforeSimSwap(ctx: CommandContext, request: RequestRecord): Promise<void> {
  await requireConsents(ctx, request)
  const p = request.payload as SwapPayload
  const lock = await swapLockOf(ctx.tx, p.custody_id, ctx.now)
  if (lock.locked && !p.id_checked)
    throw new DomainError('sim_swap_locked', 403, `The holder of ${p.msisdn} locked SIM swaps after this request`, {
      request_id: request.id,
    }).withAlert({
      kind: 'sim_swap_under_lock',
      severity: 'risk',
      msisdn: p.msisdn,
      attempt: { action: 'execute_request', request_id: request.id, requested_by: request.requested_by },
    })
}

const route = (path: string) => `POST /api/v1/numbers/{msisdn}/${path}`

export function registerChangeExecutors(): void {
  const consents = requireConsents
  registerRequestExecutor('transfer', {
    execute: executeTransfer,
    beforeExecute: consents,
    dedicatedRoute: route('transfer'),
  })
  registerRequestExecutor('sim_swap', {
    execute: executeSimSwap,
    beforeExecute: beforeSimSwap,
    dedicatedRoute: route('sim-swap'),
  })
  registerRequestExecutor('sim_swap_lost', {
    execute: executeSimSwap,
    beforeExecute: consents,
    dedicatedRoute: route('sim-swap-lost'),
  })
  registerRequestExecutor('termination', {
    execute: executeTermination,
    beforeExecute: consents,
    dedicatedRoute: route('termination'),
  })
  registerRequestExecutor('kyc_change', {
    execute: executeKycChange,
    beforeExecute: consents,
    dedicatedRoute: route('kyc-change'),
  })
  registerRequestExecutor('legal_order', { execute: executeLegalOrder, dedicatedRoute: route('legal-order') })
  registerMoHandler('YES', yesHandler, 'consent')
  registerMoHandler('NO', noHandler, 'stop_change')
  registerMoHandler('LOCK', lockMoHandler, 'sim_swap_lock')
  registerMoHandler('UNLOCK', unlockMoHandler, 'sim_swap_lock')
}
