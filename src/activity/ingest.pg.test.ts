// PostgreSQL only (PGlite has one connection): batches arriving side by side, sharing event keys and custodies.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber } from '../../test/helpers/factories.ts'
import { bearer, machineClient } from './test-support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(async () => t.close())

test('concurrent batches sharing keys and custodies neither deadlock nor store an event twice', async () => {
  const numbers: string[] = []
  for (let i = 0; i < 8; i++) numbers.push((await makeActiveNumber(t.app)).msisdn)
  t.clock.advance(86_400_000)
  const token = await (await machineClient(t.app, ['activity:ingest'])).token()
  const base = t.clock.now().getTime() - 3_600_000
  // 6 batches of 600 events over 300 keys: every key is sent by several batches, in different orders.
  const batches = Array.from({ length: 6 }, (_, b) => {
    const keys = Array.from({ length: 600 }, (_, i) => (i * (b + 1) * 7 + b) % 300)
    return keys.map((k) => ({
      msisdn: numbers[k % numbers.length],
      kind: k % 3 === 0 ? 'usage' : 'topup',
      amount: k % 3 === 0 ? undefined : '1',
      occurred_at: new Date(base + k * 1000).toISOString(),
      source: 'ocs',
      external_id: `k-${k}`,
    }))
  })
  const answers = await Promise.all(
    batches.map((events) =>
      t.server.inject({ method: 'POST', url: '/api/v1/activity', headers: bearer(token), payload: { events } }),
    ),
  )
  for (const a of answers) expect(a.statusCode, a.body).toBe(200)
  const totals = answers
    .map((a) => a.json())
    .reduce((s, j) => ({ accepted: s.accepted + j.accepted, rejected: s.rejected + j.rejected }), {
      accepted: 0,
      rejected: 0,
    })
  const distinct = new Set(batches.flat().map((e) => e.external_id)).size
  expect(totals).toEqual({ accepted: distinct, rejected: 0 })
  const stored = await t.app.db
    .selectFrom('activity_events')
    .select('external_id')
    .where('source', '=', 'ocs')
    .execute()
  expect(stored).toHaveLength(distinct)
  // Every custody ends at its latest qualifying event, whichever batch brought it.
  for (const [i, msisdn] of numbers.entries()) {
    const keys = Array.from({ length: 300 }, (_, k) => k).filter((k) => k % numbers.length === i && k % 3 !== 0)
    const state = await t.app.db
      .selectFrom('recycling_state')
      .select('cycle_started_at')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(state.cycle_started_at.toISOString()).toBe(new Date(base + Math.max(...keys) * 1000).toISOString())
  }
})
