// SIM swaps (DOMAIN's request table; FCC 23-95). With the SIM: the holder agrees by SMS reply from the number; while
// the holder's SIM-swap lock is on, only in a shop with their ID checked too. Lost or stolen: in a shop, on the
// holder's ID, approved by a supervisor of another shop, told to the number and the alternate contact, 24 h wait.
import type { StaffActor } from '../access/index.ts'
import { type Audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { DomainError, ForbiddenError } from '../domain/errors.ts'
import { queueSwapEvents } from '../partner/index.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import type { ExecutionResult, RequestRecord } from '../requests/index.ts'
import { bindSim, endBinding, refuseOvertaken } from './custody-moves.ts'
import { type FiledChange, fileChange } from './file-change.ts'
import { refuseUnauthenticatedFiling } from './filing-guard.ts'
import { checkHolderDocument, lockHolding, lockShopSim, operatorTime } from './holding.ts'
import { swapLockOf } from './swap-lock.ts'

export interface SwapInput {
  msisdn: string
  /** The new SIM, from the agent's shop. */
  iccid: string
  /** The holder's document, checked against the KYC hash (required for a lost SIM and under the lock). */
  kycDocNumber?: string
}

export interface SwapPayload {
  msisdn: string
  custody_id: string
  old_iccid: string | null
  new_iccid: string
  shop_id: string
  id_checked: boolean
  [key: string]: unknown
}

export async function requestSimSwap(
  ctx: CommandContext,
  agent: StaffActor,
  input: SwapInput,
  kycKey: string,
  lost: boolean,
): Promise<Audited<FiledChange>> {
  const kind = lost ? 'sim_swap_lost' : 'sim_swap'
  if (!agent.shopId)
    throw new ForbiddenError(`request_${kind}`, 'A SIM swap is filed in a shop, which hands over the new SIM')
  const holding = await lockHolding(ctx, input.msisdn, 'given a new SIM')
  // The holder authenticated first: their ID checked here against the KYC hash (always for a lost SIM) counts as
  // authenticating them; otherwise the agent needs a customer session for them.
  const idChecked = lost || input.kycDocNumber !== undefined
  if (idChecked) checkHolderDocument(agent, holding, input.kycDocNumber, kycKey, `request_${kind}`)
  await refuseUnauthenticatedFiling(ctx, agent, holding, kind, { holderIdChecked: idChecked })
  const lock = await swapLockOf(ctx.tx, holding.custody_id, ctx.now)
  if (!lost && lock.locked && !input.kycDocNumber) {
    throw new DomainError(
      'sim_swap_locked',
      403,
      `The holder of ${input.msisdn} has locked SIM swaps: a swap needs the holder here in the shop with their ID`,
      { msisdn: input.msisdn, locked_at: lock.locked_at, unlocks_at: lock.unlocks_at },
    ).withAlert({
      kind: 'sim_swap_under_lock',
      severity: 'risk',
      msisdn: input.msisdn,
      attempt: { action: 'request_sim_swap', staff_id: agent.staffId, username: agent.username },
    })
  }
  await lockShopSim(ctx, input.iccid, agent.shopId)
  const payload: SwapPayload = {
    msisdn: input.msisdn,
    custody_id: holding.custody_id,
    old_iccid: holding.iccid,
    new_iccid: input.iccid,
    shop_id: agent.shopId,
    id_checked: idChecked,
  }
  const after = operatorTime(new Date(ctx.now.getTime() + 24 * 3_600_000))
  return fileChange(
    ctx,
    agent,
    {
      kind,
      holding,
      payload,
      idChecks: idChecked ? [{ party: 'holder', evidence: { subscriber_id: holding.subscriber_id } }] : [],
      notice: lost
        ? {
            number: { template: 'sim_swap_lost_number', params: { msisdn: input.msisdn, after } },
            alt_contact: { template: 'sim_swap_lost_alt_contact', params: { msisdn: input.msisdn, after } },
          }
        : {
            en: `A new SIM card for ${input.msisdn} was requested in one of our shops. If this was not you, reply NO.`,
            km: `មានការស្នើសុំស៊ីមកាតថ្មីសម្រាប់លេខ ${input.msisdn} នៅហាងរបស់យើង។ ប្រសិនបើមិនមែនជាអ្នកទេ សូមឆ្លើយតប NO។`,
          },
    },
    kycKey,
  )
}

/** Ends the SIM binding (sim_swap, or sim_lost for a lost SIM) and binds the new SIM on this request. */
export async function executeSimSwap(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as SwapPayload
  const lost = request.kind === 'sim_swap_lost'
  const holding = await lockHolding(ctx, p.msisdn, 'given a new SIM')
  refuseOvertaken(holding, { custody_id: p.custody_id, iccid: p.old_iccid }, request.id)
  await lockShopSim(ctx, p.new_iccid, p.shop_id)
  const oldIccid = await endBinding(ctx, holding, lost ? 'sim_lost' : 'sim_swap', lost ? 'lost_stolen' : 'deactivated')
  await bindSim(ctx, { msisdn: p.msisdn, custodyId: holding.custody_id, iccid: p.new_iccid, requestId: request.id })
  // CAMARA SIM Swap Subscriptions: the partners' swapped events leave in this transaction, when the swap commits.
  await queueSwapEvents(ctx, p.msisdn, request.id)
  const provisioning = await enqueueProvisioning(ctx, {
    msisdn: p.msisdn,
    kind: 'sim_change',
    payload: { old_iccid: oldIccid, new_iccid: p.new_iccid, reason: request.kind, request_id: request.id },
  })
  const outcome = {
    custody_id: holding.custody_id,
    old_iccid: oldIccid,
    new_iccid: p.new_iccid,
    provisioning_event_id: provisioning.eventId,
  }
  const receipt = await recordAudit(ctx, {
    action: 'sim.swapped',
    msisdn: p.msisdn,
    before: { iccid: oldIccid },
    after: { iccid: p.new_iccid },
    basis: request.id,
    data: { request_id: request.id, kind: request.kind, ...outcome },
  })
  return { outcome, receipts: [receipt] }
}
