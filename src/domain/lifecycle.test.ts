// TRANSITIONS is the lifecycle the code reasons with; number_transitions is the one the database enforces
// (migration 001, read by the numbers_state_guard trigger). They must be the same set. Runs on both suites.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase } from '../../test/helpers/db.ts'
import type { Database } from '../db/handle.ts'
import { canTransition, HELD_STATES, NUMBER_STATES, type NumberState, TRANSITIONS } from './lifecycle.ts'

const key = (from: string, to: string) => `${from} → ${to}`

describe('the lifecycle in code and in the database', () => {
  let database: Database
  beforeAll(async () => {
    database = await openTestDatabase()
  })
  afterAll(async () => {
    await database?.close()
  })

  it('TRANSITIONS holds exactly the rows of number_transitions', async () => {
    const { rows } = await sql<{
      from_state: string
      to_state: string
    }>`SELECT from_state, to_state FROM number_transitions`.execute(database.db)
    const inDatabase = rows.map((r) => key(r.from_state, r.to_state)).sort()
    const inCode = TRANSITIONS.map((t) => key(t.from, t.to)).sort()
    expect(inDatabase.length).toBeGreaterThan(0)
    expect(inCode).toEqual(inDatabase)
    expect(new Set(inCode).size).toBe(inCode.length) // no transition listed twice
  })

  it('names only states the numbers table accepts', async () => {
    const { rows } = await sql<{ definition: string }>`
      SELECT pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c
       WHERE c.conrelid = 'numbers'::regclass AND c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%state = ANY%'`.execute(
      database.db,
    )
    expect(rows).toHaveLength(1)
    const accepted = [...rows[0].definition.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort()
    expect(accepted).toEqual([...NUMBER_STATES].sort())
    for (const t of TRANSITIONS) {
      expect(NUMBER_STATES).toContain(t.from)
      expect(NUMBER_STATES).toContain(t.to)
    }
  })
})

describe('canTransition', () => {
  it.each([
    ['available', 'reserved'],
    ['reserved', 'available'],
    ['available', 'active'],
    ['reserved', 'active'],
    ['active', 'suspended'],
    ['suspended', 'active'],
    ['active', 'aging'],
    ['suspended', 'aging'],
    ['aging', 'available'],
    ['aging', 'active'],
    ['available', 'retired'],
    ['aging', 'retired'],
    ['active', 'ported_out'],
  ] as [NumberState, NumberState][])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true)
  })

  it.each([
    ['available', 'aging'], // a number is never withdrawn from nobody
    ['active', 'available'], // a held number is never simply freed: it ages first
    ['suspended', 'available'],
    ['active', 'reserved'],
    ['active', 'retired'], // never retired from active or suspended
    ['suspended', 'retired'],
    ['reserved', 'aging'],
    ['aging', 'reserved'],
    ['available', 'available'],
  ] as [NumberState, NumberState][])('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false)
  })

  it('leaves retired and ported_out with no way out', () => {
    for (const to of NUMBER_STATES) {
      expect(canTransition('retired', to)).toBe(false)
      expect(canTransition('ported_out', to)).toBe(false)
    }
  })

  it('counts aging as held (a former holder may reclaim it), but not available or reserved', () => {
    expect([...HELD_STATES].sort()).toEqual(['active', 'aging', 'suspended'])
  })
})
