// PostgreSQL only (concurrency): two senders, each with its own connection pool, drain one queue side by side.
// Every part goes out exactly once, and receipts racing the submit responses are all matched.

import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_START, testConfig } from '../../test/helpers/app.ts'
import { openTestDatabase } from '../../test/helpers/db.ts'
import { FakeTransport, queueTestNotice } from '../../test/helpers/sms.ts'
import type { App } from '../app.ts'
import { type Database, openDatabase } from '../db/handle.ts'
import { ManualClock } from '../domain/clock.ts'
import { recordReceipt } from './receipts.ts'
import { sendDueNotices } from './sender.ts'

let first: Database
let second: Database
const clock = new ManualClock(TEST_START)
const appOf = (database: Database): App => ({
  config: testConfig(),
  database,
  db: database.db,
  clock,
  deps: { db: database.db, clock },
  logger: pino({ level: 'silent' }),
})

beforeAll(async () => {
  first = await openTestDatabase()
  const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(first.db)).rows[0].s
  second = await openDatabase({ url: process.env.TEST_DATABASE_URL as string, schema, migrate: false })
})
afterAll(async () => {
  await second.close()
  await first.close()
})

describe('two senders on PostgreSQL', () => {
  it('send every part of every notice exactly once, and every racing receipt is matched', async () => {
    const a = appOf(first)
    const b = appOf(second)
    const ids: string[] = []
    for (let i = 0; i < 120; i++) {
      const khmer = i % 3 === 0
      const out = await queueTestNotice(a, {
        msisdn: `+8551288${String(i).padStart(4, '0')}`,
        language: khmer ? 'km' : 'en',
        priority: i % 10 === 0 ? 'otp' : 'bulk',
        params: { msisdn: `+8551288${String(i).padStart(4, '0')}`, daysLeft: 30, withdrawalDate: '2026-06-01' },
      })
      ids.push(out.noticeId)
    }
    // Each SMSC answers after a turn of the event loop, and its receipt reaches the OTHER process at once,
    // racing the sender's own transaction that records the message id.
    const receipts: Promise<unknown>[] = []
    const fakeA = new FakeTransport()
    const fakeB = new FakeTransport()
    // SMSC-sized ids: the hex form of one is never the decimal form of another (as with small ids like 10 and 16).
    let next = 5_000_000_000
    const answer = (other: App) => async (_input: unknown, accept: () => Promise<{ messageId: string }>) => {
      await new Promise((r) => setImmediate(r))
      const out = await accept()
      const messageId = String(next++)
      receipts.push(
        recordReceipt(other, {
          messageId: BigInt(messageId).toString(16), // hex in receipts, decimal in responses
          state: 'DELIVRD',
          final: true,
          doneAt: null,
          error: null,
          raw: `id:${messageId} stat:DELIVRD`,
        }),
      )
      return { ...out, messageId }
    }
    fakeA.behaviour = answer(b)
    fakeB.behaviour = answer(a)
    const drain = async (app: App, fake: FakeTransport, senderId: string) => {
      let claimed = 0
      for (;;) {
        const pass = await sendDueNotices(app, fake, { limit: 7, senderId, concurrency: 3 })
        if (pass.claimed === 0) return claimed
        claimed += pass.claimed
      }
    }
    const [byA, byB] = await Promise.all([drain(a, fakeA, 'sender-a'), drain(b, fakeB, 'sender-b')])
    await Promise.all(receipts)

    expect(byA + byB).toBe(120)
    expect(byA).toBeGreaterThan(0)
    expect(byB).toBeGreaterThan(0)
    const sent = [...fakeA.submitted, ...fakeB.submitted]
    const notices = await first.db
      .selectFrom('sms_notices')
      .select(['id', 'state', 'part_count', 'to_address'])
      .execute()
    const expectedParts = notices.reduce((n, r) => n + (r.part_count ?? 0), 0)
    expect(sent).toHaveLength(expectedParts)
    // No (number, concatenation reference, part) pair went out twice.
    const keys = sent.map((s) => `${s.to}:${s.part.shortMessage.toString('hex')}`)
    expect(new Set(keys).size).toBe(keys.length)
    const parts = await first.db.selectFrom('sms_notice_parts').select(['state', 'attempt']).execute()
    expect(parts).toHaveLength(expectedParts)
    expect(new Set(parts.map((p) => p.state))).toEqual(new Set(['final']))
    expect(notices.every((n) => n.state === 'evidenced')).toBe(true)
    const unmatched = await first.db.selectFrom('sms_receipts').select('id').where('part_id', 'is', null).execute()
    expect(unmatched).toHaveLength(0)
  })
})
