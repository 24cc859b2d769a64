// PostgreSQL only (PGlite has one connection, so nothing there is ever concurrent).
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeRange, SYSTEM } from '../../test/helpers/factories.ts'
import { bearer, machineClient, type TestClient } from '../activity/test-support.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { enqueueProvisioning, type ProvisioningKind } from './index.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(async () => t.close())

const KINDS: ProvisioningKind[] = ['bar_outgoing', 'unbar', 'withdraw', 'restore']

test('consumers claiming side by side never get the same event, and each number’s events are acknowledged in order', async () => {
  const numbers = await makeRange(t.app, 60)
  const seqOf = new Map<string, { msisdn: string; order: number }>()
  await runCommand(t.app.deps, SYSTEM, async (ctx) => {
    for (const [order, kind] of KINDS.entries())
      for (const msisdn of numbers) {
        const { eventId } = await enqueueProvisioning(ctx, { msisdn, kind })
        seqOf.set(eventId, { msisdn, order })
      }
    return audited(null, [await recordAudit(ctx, { action: 'number.suspended', data: { fixture: true } })])
  })
  const consumers = await Promise.all([1, 2, 3, 4].map(() => machineClient(t.app, ['provisioning'])))
  const claimed: string[] = []
  const acked: string[] = []

  async function consume(client: TestClient) {
    const headers = bearer(await client.token())
    let idle = 0
    while (idle < 3) {
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/v1/provisioning/claim',
        headers,
        payload: { limit: 7 },
      })
      expect(res.statusCode).toBe(200)
      const ids = (res.json().items as { id: string }[]).map((e) => e.id)
      idle = ids.length === 0 ? idle + 1 : 0
      claimed.push(...ids)
      for (const id of ids) {
        const ack = await t.server.inject({ method: 'POST', url: `/api/v1/provisioning/events/${id}/ack`, headers })
        expect(ack.json().outcome).toBe('acked')
        acked.push(id)
      }
      // Give the other consumers a turn at the freshly unblocked events.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await Promise.all(consumers.map(consume))

  expect(claimed).toHaveLength(seqOf.size)
  expect(new Set(claimed).size).toBe(seqOf.size)
  expect(new Set(acked).size).toBe(seqOf.size)
  const orderPerNumber = new Map<string, number[]>()
  for (const id of acked) {
    const e = seqOf.get(id)
    if (!e) throw new Error(`acked an unknown event ${id}`)
    orderPerNumber.set(e.msisdn, [...(orderPerNumber.get(e.msisdn) ?? []), e.order])
  }
  for (const orders of orderPerNumber.values()) expect(orders).toEqual([0, 1, 2, 3])
  const left = await t.app.db.selectFrom('provisioning_events').select('id').where('acked_at', 'is', null).execute()
  expect(left).toEqual([])
})
