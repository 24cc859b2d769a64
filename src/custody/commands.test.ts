import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeRange, makeStaff, SYSTEM } from '../../test/helpers/factories.ts'
import { audited, type CommandContext, recordAudit } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { DomainError } from '../domain/errors.ts'
import { endCustody, moveNumber, moveNumberIfStill, StaleStateError, TransitionRefusedError } from './index.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(async () => t.close())

const stateOf = async (msisdn: string) =>
  (await t.app.db.selectFrom('numbers').select('state').where('msisdn', '=', msisdn).executeTakeFirstOrThrow()).state

/** Runs a custody command in one transaction; a refusal comes back as the error, the transaction rolled back. */
async function attempt(
  msisdn: string,
  command: (ctx: CommandContext) => Promise<void>,
  action: 'number.reserved' | 'number.released' = 'number.reserved',
): Promise<DomainError | null> {
  try {
    await runCommand(t.app.deps, SYSTEM, async (ctx) => {
      await command(ctx)
      return audited(null, [await recordAudit(ctx, { action, msisdn })])
    })
    return null
  } catch (err) {
    if (err instanceof DomainError) return err
    throw err
  }
}

describe('custody commands', () => {
  test('a move the lifecycle does not allow is refused before any write (transition_refused)', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const err = await attempt(msisdn, async (ctx) => moveNumber(ctx, { msisdn, from: 'available', to: 'aging' }))
    expect(err).toBeInstanceOf(TransitionRefusedError)
    expect(err?.code).toBe('transition_refused')
    expect(err?.details).toMatchObject({ msisdn, from: 'available', to: 'aging' })
    expect(await stateOf(msisdn)).toBe('available')
  })

  test('a lawful move whose number is no longer in its from-state is a stale_state conflict, not a silent no-op', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    // reserved → available is lawful, but this number is available: the guarded UPDATE matches no row.
    const err = await attempt(msisdn, async (ctx) => moveNumber(ctx, { msisdn, from: 'reserved', to: 'available' }))
    expect(err).toBeInstanceOf(StaleStateError)
    expect(err?.code).toBe('stale_state')
    expect(await stateOf(msisdn)).toBe('available')
    // The tolerant form reports the same miss as false and writes nothing.
    let moved: boolean | undefined
    await attempt(msisdn, async (ctx) => {
      moved = await moveNumberIfStill(ctx, { msisdn, from: 'reserved', to: 'available' })
    })
    expect(moved).toBe(false)
  })

  test('ending a custody that already ended is a stale_state conflict', async () => {
    const { sale } = await makeActiveNumber(t.app)
    const open = await t.app.db
      .selectFrom('custodies')
      .select('id')
      .where('msisdn', '=', sale.msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    expect(open.id).toBe(sale.custody_id)
    const err = await attempt(sale.msisdn, async (ctx) => {
      // The one open custody of a held number can end only with its number moving on; a wrong id must not match.
      await endCustody(ctx, { custodyId: '00000000-0000-4000-8000-000000000000' }, 'termination')
    })
    expect(err?.code).toBe('stale_state')
  })

  test('a lawful move commits: available → reserved with its lease, then the lessee releases it', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const agent = await makeStaff(t.app, ['agent'])
    const until = new Date(t.clock.now().getTime() + 30 * 60_000)
    const reserved = await attempt(msisdn, (ctx) =>
      moveNumber(ctx, { msisdn, from: 'available', to: 'reserved', lease: { by: agent.id, until } }),
    )
    expect(reserved).toBeNull()
    const row = await t.app.db
      .selectFrom('numbers')
      .select(['state', 'reserved_by'])
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ state: 'reserved', reserved_by: agent.id })
    // Another staff member's release matches no row; the lessee's moves it back.
    const other = await makeStaff(t.app, ['agent'])
    const stranger = await attempt(msisdn, (ctx) =>
      moveNumber(ctx, { msisdn, from: 'reserved', to: 'available', reservedBy: other.id }),
    )
    expect(stranger?.code).toBe('stale_state')
    const lessee = await attempt(
      msisdn,
      (ctx) => moveNumber(ctx, { msisdn, from: 'reserved', to: 'available', reservedBy: agent.id }),
      'number.released',
    )
    expect(lessee).toBeNull()
    expect(await stateOf(msisdn)).toBe('available')
  })
})
