// SIM bindings: which SIM carries a custody's number. The SIM's own state (stock, bound, deactivated) stays with
// the caller, which knows where the SIM comes from and where it goes.
import { randomUUID } from 'node:crypto'
import type { CustodyContext } from './context.ts'
import { StaleStateError } from './errors.ts'

export interface NewBinding {
  msisdn: string
  custodyId: string
  iccid: string
  requestId?: string | null
}

/** Binds a SIM to an open custody and returns the binding's id. */
export async function bindSim(ctx: CustodyContext, binding: NewBinding): Promise<string> {
  const id = randomUUID()
  const bound = await ctx.tx
    .insertInto('sim_bindings')
    .values({
      id,
      msisdn: binding.msisdn,
      iccid: binding.iccid,
      custody_id: binding.custodyId,
      request_id: binding.requestId ?? null,
      started_at: ctx.now,
    })
    .returning('id')
    .execute()
  if (bound.length !== 1) throw new StaleStateError(`SIM ${binding.iccid}`, { iccid: binding.iccid })
  return id
}

export type UnbindReason = 'sim_swap' | 'custody_ended' | 'sim_lost'

/** Ends the custody's open binding(s) and returns their SIMs (none when the custody had no SIM bound). */
export async function unbindSim(ctx: CustodyContext, custodyId: string, reason: UnbindReason): Promise<string[]> {
  const ended = await ctx.tx
    .updateTable('sim_bindings')
    .set({ ended_at: ctx.now, end_reason: reason })
    .where('custody_id', '=', custodyId)
    .where('ended_at', 'is', null)
    .returning('iccid')
    .execute()
  return ended.map((b) => b.iccid)
}
