// A SIM as the caller may see it (invariant 10): the SIM page and the lookup box answer the same, so a SIM outside
// the caller's view is as absent from the lookup as one that does not exist.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { accountsInView } from './account-view.ts'
import { findSim, simBindings } from './queries.ts'
import { seesSim, simViewOf } from './sims.ts'

export async function simInView(db: Kysely<DB>, actor: Actor | undefined, iccid: string, now: Date) {
  const sim = await findSim(db, iccid)
  if (!sim) return null
  const bindings = await simBindings(db, sim.iccid)
  const seen = await accountsInView(
    db,
    actor,
    bindings.map((b) => b.subscriber_id),
    now,
  )
  return seesSim(simViewOf(actor), sim, seen) ? { sim, bindings, seen } : null
}
