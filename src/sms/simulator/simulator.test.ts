import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { MovableClock } from '../../domain/clock.ts'
import { encodeSms } from '../encoding.ts'
import { createSmppTransport } from '../smpp/client.ts'
import { newPdu, newSession, type Pdu } from '../smpp/package.ts'
import { collector, untilBound, waitForEvent, waitForStatus } from '../smpp/test-support.ts'
import { type DeliveryReceipt, type SmsTransport, sameMessageId } from '../transport.ts'
import { type InboxMessage, type SmscSimulator, startSmscSimulator } from './index.ts'

const silent = pino({ level: 'silent' })
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function sim(options: Parameters<typeof startSmscSimulator>[0] = {}): Promise<SmscSimulator> {
  const s = await startSmscSimulator(options)
  cleanup.push(() => s.close())
  return s
}

function connect(url: string): SmsTransport {
  const t = createSmppTransport(url, { backoff: { initialMs: 5, maxMs: 20 } }, silent)
  cleanup.push(() => t.close())
  return t
}

async function submit(t: SmsTransport, to: string, text: string, ref = 1): Promise<string[]> {
  const ids: string[] = []
  for (const part of encodeSms(text, ref)) {
    ids.push((await t.submitPart({ to, from: 'numguard', part, priority: 'bulk' })).messageId)
  }
  return ids
}

describe('embedded SMSC simulator', () => {
  it('keeps a per-number inbox and tells listeners when a whole message has arrived', async () => {
    const clock = new MovableClock(5 * 86_400_000)
    const s = await sim({ clock })
    const t = connect(s.url)
    await untilBound(t)
    const arrived: InboxMessage[] = []
    s.onMessage((m) => arrived.push(m))
    const ids = await submit(t, '+85511111111', 'a'.repeat(300), 7)
    await submit(t, '+85522222222', 'second phone')
    expect(arrived.map((m) => m.to)).toEqual(['+85511111111', '+85522222222'])
    expect(s.inbox('+85511111111')).toEqual([
      {
        to: '+85511111111',
        from: 'numguard',
        text: 'a'.repeat(300),
        parts: 2,
        dataCoding: 0,
        messageIds: ids,
        receivedAt: expect.any(Date),
      },
    ])
    // Time comes from the injected clock (the demo moves it).
    expect(s.inbox('+85511111111')[0].receivedAt.getTime()).toBeGreaterThan(Date.now() + 4 * 86_400_000)
    expect(s.inbox('85522222222').map((m) => m.text)).toEqual(['second phone'])
    expect(s.allMessages()).toHaveLength(2)
    expect(new Set(ids).size).toBe(2)
  })

  it('answers submits late when told, and keeps receipts for a client that comes back', async () => {
    const s = await sim({ behaviour: { answerLateMs: 20, receiptDelayMs: 20 } })
    const t = connect(s.url)
    const receipts = collector<DeliveryReceipt>(1)
    t.onReceipt(async (r) => receipts.push(r))
    await untilBound(t)
    const delayed = waitForEvent(s, 'receipt_scheduled', (e) => e.how === 'delayed')
    const [id] = await submit(t, '+85533333333', 'late')
    await delayed
    const [r] = await receipts.until(1)
    expect(sameMessageId(r.messageId, id)).toBe(true)

    // Receipts held while no client is bound go out to the next client that binds.
    s.setBehaviour({ answerLateMs: 0, receiptDelayMs: 0, holdReceipts: true })
    const held = waitForEvent(s, 'receipt_scheduled', (e) => e.how === 'held')
    await submit(t, '+85533333333', 'while away')
    await held
    await t.close()
    expect(s.flushReceipts()).toBe(0) // nobody bound: kept
    expect(s.stats().receiptsPending).toBe(1)
    const t2 = connect(s.url)
    const again = collector<DeliveryReceipt>(1)
    t2.onReceipt(async (x) => again.push(x))
    await untilBound(t2)
    await again.until(1)
    expect(s.stats().receiptsPending).toBe(0)
  })

  it('checks credentials and refuses a submit before bind', async () => {
    const s = await sim({ systemId: 'ng', password: 'pw' })
    const wrongId = connect(s.url.replace('ng:', 'other:'))
    expect((await waitForStatus(wrongId, (x) => Boolean(x.reason))).reason).toBe('bind_refused:0x0f')

    const session = newSession({ host: s.host, port: s.port })
    cleanup.push(async () => session.destroy())
    await new Promise<void>((resolve) => session.once('connect', () => resolve()))
    const [part] = encodeSms('sneaky', 1)
    const resp = await new Promise<Pdu>((resolve) =>
      session.send(
        newPdu('submit_sm', { destination_addr: '85511', short_message: part.shortMessage, data_coding: 0 }),
        resolve,
      ),
    )
    expect(resp.command_status).toBe(0x04)
    expect(s.allMessages()).toHaveLength(0)
  })

  it('refuses to inject an MO when no client is bound', async () => {
    const s = await sim()
    await expect(s.injectMo('+85511111111', '1234', 'NO')).rejects.toThrow(/no client is bound/)
  })
})
