import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeSms } from '../encoding.ts'
import { type SimulatorOptions, type SmscSimulator, startSmscSimulator } from '../simulator/index.ts'
import {
  type DeliveryReceipt,
  type MoMessage,
  SmppSubmitError,
  type SmsTransport,
  sameMessageId,
} from '../transport.ts'
import { createSmppTransport, type SmppTransportOptions } from './client.ts'
import { capturingLogger, collector, untilBound, waitForEvent, waitForStatus } from './test-support.ts'

const silent = pino({ level: 'silent' })
const HANDSET = '+85512345678'
const KHMER = 'សូមជម្រាបសួរ! លេខទូរស័ព្ទរបស់អ្នកនឹងត្រូវដកហូតក្នុងរយៈពេល ៣០ ថ្ងៃ។ សូមបញ្ចូលទឹកប្រាក់ដើម្បីរក្សាលេខរបស់អ្នក។'

const open: { sims: SmscSimulator[]; transports: SmsTransport[] } = { sims: [], transports: [] }
afterEach(async () => {
  await Promise.all(open.transports.splice(0).map((t) => t.close()))
  await Promise.all(open.sims.splice(0).map((s) => s.close()))
})

async function simulator(options: SimulatorOptions = {}): Promise<SmscSimulator> {
  const sim = await startSmscSimulator(options)
  open.sims.push(sim)
  return sim
}

function client(url: string, options: SmppTransportOptions = {}, logger = silent): SmsTransport {
  const t = createSmppTransport(url, { backoff: { initialMs: 5, maxMs: 40 }, ...options }, logger)
  open.transports.push(t)
  return t
}

async function send(
  t: SmsTransport,
  text: string,
  options: { to?: string; ref?: number; priority?: 'otp' | 'bulk' } = {},
) {
  const parts = encodeSms(text, options.ref ?? 1)
  const ids: string[] = []
  for (const part of parts) {
    const { messageId } = await t.submitPart({
      to: options.to ?? HANDSET,
      from: 'numguard',
      part,
      priority: options.priority ?? 'bulk',
    })
    ids.push(messageId)
  }
  return ids
}

describe('SMPP client against the embedded SMSC', () => {
  it('delivers GSM-7 and Khmer texts, single and multi-part, exactly as written', async () => {
    const sim = await simulator()
    const t = client(sim.url)
    await untilBound(t)
    const texts = [
      'Your number will be withdrawn in 30 days. Top up to keep it.',
      `Long notice: ${'keep your number, top up today. '.repeat(8)}[ref] {x} €5`,
      KHMER,
      `${KHMER} ${KHMER}`,
    ]
    const ids: string[][] = []
    for (const [i, text] of texts.entries()) ids.push(await send(t, text, { ref: 10 + i }))
    const inbox = sim.inbox(HANDSET)
    expect(inbox.map((m) => m.text)).toEqual(texts)
    expect(inbox.map((m) => m.parts)).toEqual(texts.map((x) => encodeSms(x, 1).length))
    expect(inbox.map((m) => m.dataCoding)).toEqual([0x00, 0x00, 0x08, 0x08])
    expect(inbox[1].parts).toBeGreaterThan(1)
    expect(inbox[3].parts).toBeGreaterThan(1)
    expect(inbox.map((m) => m.messageIds)).toEqual(ids)
    expect(inbox[0]).toMatchObject({ to: HANDSET, from: 'numguard' })
    expect(sim.inbox('85512345678')).toHaveLength(4)
  })

  it('puts our own bytes on the wire: data_coding and esm_class as encoded, a receipt requested per part', async () => {
    const sim = await simulator()
    const t = client(sim.url)
    await untilBound(t)
    const text = `plain English goes as GSM-7, not 0x01 ${'.'.repeat(150)}`
    const seen = waitForEvent(sim, 'submit', () => true, 2)
    await send(t, text, { ref: 0x33 })
    const wire = (await seen).map((e) => e.wire)
    const parts = encodeSms(text, 0x33)
    expect(wire.map((w) => [w.dataCoding, w.esmClass, w.registeredDelivery])).toEqual([
      [0x00, 0x40, 1],
      [0x00, 0x40, 1],
    ])
    expect(wire.map((w) => w.shortMessage.toString('hex'))).toEqual(parts.map((p) => p.shortMessage.toString('hex')))
  })

  it('matches every receipt to its part whatever id style the SMSC uses', async () => {
    const sim = await simulator()
    const t = client(sim.url)
    const receipts = collector<DeliveryReceipt>(0)
    t.onReceipt(async (r) => receipts.push(r))
    await untilBound(t)
    const sent: string[] = []
    for (const style of ['decimal-resp-hex-receipt', 'hex-resp-decimal-receipt', 'alternate', 'hex'] as const) {
      sim.setBehaviour({ messageIds: style, receiptTlvs: style !== 'hex' })
      sent.push(...(await send(t, 'x'.repeat(200))))
    }
    await receipts.until(sent.length)
    for (const r of receipts.items) {
      expect(sent.filter((id) => sameMessageId(id, r.messageId))).toHaveLength(1)
      expect(r).toMatchObject({ state: 'DELIVRD', final: true, error: null })
      expect(r.doneAt).toBeInstanceOf(Date)
    }
    expect(receipts.items.filter((r) => !sent.includes(r.messageId)).length).toBeGreaterThan(0) // hex vs decimal really differed
  })

  it('reports interim and failed receipt states as the SMSC says', async () => {
    const sim = await simulator()
    const t = client(sim.url)
    const receipts = collector<DeliveryReceipt>(0)
    t.onReceipt(async (r) => receipts.push(r))
    await untilBound(t)
    sim.setBehaviour({ receiptState: 'ENROUTE' })
    await send(t, 'one')
    sim.setBehaviour({ receiptState: 'UNDELIV', receiptTlvs: false })
    await send(t, 'two')
    await receipts.until(2)
    expect(receipts.items.map((r) => [r.state, r.final])).toEqual([
      ['ENROUTE', false],
      ['UNDELIV', true],
    ])
    expect(receipts.items[1].error).toBe('001')
  })

  it('holds receipts until flushed, drops them when told, and redelivers after a handler failure', async () => {
    const sim = await simulator({ receiptRetryMs: 5 })
    const t = client(sim.url)
    const receipts = collector<DeliveryReceipt>(0)
    let failNext = false
    t.onReceipt(async (r) => {
      if (failNext) {
        failNext = false
        throw new Error('database unavailable')
      }
      receipts.push(r)
    })
    await untilBound(t)

    sim.setBehaviour({ dropReceipts: true })
    const dropped = waitForEvent(sim, 'receipt_scheduled', (e) => e.how === 'dropped')
    const [droppedId] = await send(t, 'dropped')
    await dropped
    sim.setBehaviour({ dropReceipts: false, holdReceipts: true })
    const held = waitForEvent(sim, 'receipt_scheduled', (e) => e.how === 'held')
    const [heldId] = await send(t, 'held')
    await held
    expect(sim.stats().receiptsPending).toBe(1)
    expect(receipts.items).toHaveLength(0)

    failNext = true
    const nacked = waitForEvent(sim, 'receipt_acked', (e) => e.status === 0x64)
    expect(sim.flushReceipts()).toBe(1)
    await nacked
    const [got] = await receipts.until(1)
    expect(sameMessageId(got.messageId, heldId)).toBe(true)
    expect(receipts.items.some((r) => sameMessageId(r.messageId, droppedId))).toBe(false)
  })

  it('hands MO messages to onMo, reassembled and decoded, and acknowledges only after the handler', async () => {
    const sim = await simulator()
    const { logger, lines } = capturingLogger()
    const t = client(sim.url, {}, logger)
    const mos: MoMessage[] = []
    t.onMo(async (m) => {
      mos.push(m)
    })
    await untilBound(t)
    await sim.injectMo(HANDSET, '1234', 'YES 482916')
    await sim.injectMo(HANDSET, '1234', `STATUS ${'please '.repeat(40)}`)
    await sim.injectMo(HANDSET, '1234', KHMER)
    expect(mos.map((m) => [m.from, m.to, m.text])).toEqual([
      [HANDSET, '1234', 'YES 482916'],
      [HANDSET, '1234', `STATUS ${'please '.repeat(40)}`],
      [HANDSET, '1234', KHMER],
    ])
    expect(mos[0].receivedAt).toBeInstanceOf(Date)
    expect(lines.filter((l) => l.includes('MO handled'))).toHaveLength(3)
    expect(lines.join('\n')).not.toContain('482916') // bodies (codes) never reach the log
  })

  it('answers an MO with a temporary error when its handler fails, so the SMSC keeps it', async () => {
    const sim = await simulator()
    const t = client(sim.url)
    t.onMo(async () => {
      throw new Error('could not store')
    })
    await untilBound(t)
    await expect(sim.injectMo(HANDSET, '1234', 'NO')).rejects.toMatchObject({ status: 0x64 })
  })

  it('keeps rebinding with backoff while binds are refused, then binds when allowed', async () => {
    const sim = await simulator({ behaviour: { refuseBinds: true } })
    const refusals = waitForEvent(sim, 'bind', (e) => !e.accepted, 3)
    const t = client(sim.url)
    const status = await waitForStatus(t, (s) => !s.bound && s.reason !== undefined)
    expect(status.reason).toBe('bind_refused:0x0d')
    await refusals
    expect(t.bound).toBe(false)
    await expect(send(t, 'hello')).rejects.toMatchObject({ code: 'not_bound' })
    sim.setBehaviour({ refuseBinds: false })
    await untilBound(t)
    expect(sim.stats().bindRefusals).toBeGreaterThanOrEqual(3)
    expect(await send(t, 'hello')).toHaveLength(1)
  })

  it('reports a wrong password as a refused bind', async () => {
    const sim = await simulator({ password: 'right' })
    const t = client(sim.url.replace(':right@', ':wrong@'))
    expect((await waitForStatus(t, (s) => Boolean(s.reason))).reason).toBe('bind_refused:0x0e')
  })

  it('never has more than `window` submits in flight', async () => {
    const sim = await simulator({ behaviour: { holdSubmitResponses: true } })
    const t = client(sim.url, { window: 4, ratePerSecond: 10_000, burst: 100 })
    await untilBound(t)
    const firstThree = waitForEvent(sim, 'submit', () => true, 3)
    const bulk = Array.from({ length: 10 }, (_, i) => send(t, `bulk ${i}`, { to: `+8551200000${i}` }))
    await firstThree
    expect(sim.stats().inFlight).toBe(3) // bulk leaves the last slot to one-time codes
    const fourth = waitForEvent(sim, 'submit')
    const otp = send(t, 'code', { priority: 'otp' })
    await fourth
    expect(sim.stats().inFlight).toBe(4)
    // From now on answer each submit a turn later, giving the client every chance to overrun the window.
    sim.onEvent((e) => {
      if (e.type === 'submit') setImmediate(() => sim.releaseSubmitResponses(1))
    })
    sim.releaseSubmitResponses()
    await Promise.all([...bulk, otp])
    expect(sim.stats().maxInFlight).toBe(4)
    expect(sim.stats().submits).toBe(11)
  })

  it('sends a one-time code before bulk parts already queued', async () => {
    const sim = await simulator({ behaviour: { holdSubmitResponses: true } })
    const t = client(sim.url, { window: 1, ratePerSecond: 10_000, burst: 100 })
    await untilBound(t)
    const order: string[] = []
    sim.onEvent((e) => {
      if (e.type === 'submit') order.push(e.to)
    })
    const first = waitForEvent(sim, 'submit')
    const bulk = [1, 2, 3, 4].map((i) => send(t, 'warning', { to: `+85510000000${i}` }))
    await first
    const otp = send(t, 'code 1234', { to: '+855999999999', priority: 'otp' })
    sim.onEvent((e) => {
      if (e.type === 'submit') setImmediate(() => sim.releaseSubmitResponses(1))
    })
    sim.releaseSubmitResponses()
    await Promise.all([...bulk, otp])
    expect(order).toEqual(['+855100000001', '+855999999999', '+855100000002', '+855100000003', '+855100000004'])
  })

  it('rejects with typed errors: rejected, timeout (late answer logged), throttled', async () => {
    const sim = await simulator()
    const { logger, lines } = capturingLogger()
    const t = client(sim.url, { submitTimeoutMs: 300 }, logger)
    await untilBound(t)
    sim.setBehaviour({ rejectSubmitsWith: 0x0b })
    await expect(send(t, 'x')).rejects.toMatchObject({ code: 'rejected', commandStatus: 0x0b })
    sim.setBehaviour({ rejectSubmitsWith: null, holdSubmitResponses: true })
    await expect(send(t, 'secret 482916')).rejects.toMatchObject({ code: 'timeout', commandStatus: null })
    const lateResp = waitForEvent(sim, 'receipt_scheduled')
    sim.setBehaviour({ holdSubmitResponses: false })
    sim.releaseSubmitResponses()
    await lateResp
    // The window slot came back after the timeout: sending goes on.
    expect(await send(t, 'next')).toHaveLength(1)
    expect(lines.some((l) => l.includes('submit_sm_resp arrived after its timeout'))).toBe(true)
    expect(lines.join('\n')).not.toContain('482916')
    sim.setBehaviour({ rejectSubmitsWith: 0x58 })
    const throttled = await send(t, 'x').catch((e: unknown) => e)
    expect(throttled).toBeInstanceOf(SmppSubmitError)
    expect(throttled).toMatchObject({ code: 'throttled', commandStatus: 0x58 })
  })

  it('fails in-flight parts as timeout and queued parts as not_bound when the link drops, then rebinds', async () => {
    const sim = await simulator({ behaviour: { holdSubmitResponses: true } })
    const t = client(sim.url, { window: 1 })
    await untilBound(t)
    const first = waitForEvent(sim, 'submit')
    const a = send(t, 'in flight')
    const b = send(t, 'queued')
    await first
    const rebound = waitForEvent(sim, 'bind', (e) => e.accepted)
    sim.disconnectClients()
    await expect(a).rejects.toMatchObject({ code: 'timeout' })
    await expect(b).rejects.toMatchObject({ code: 'not_bound' })
    await rebound
    await untilBound(t)
    sim.setBehaviour({ holdSubmitResponses: false })
    expect(await send(t, 'after')).toHaveLength(1)
  })

  it('keeps the link alive with enquire_link and reconnects when it goes unanswered', async () => {
    const sim = await simulator()
    const t = client(sim.url, { enquireLinkMs: 10, enquireLinkTimeoutMs: 20 })
    await untilBound(t)
    await waitForEvent(sim, 'enquire_link', (e) => e.answered, 2)
    const rebind = waitForEvent(sim, 'bind', (e) => e.accepted)
    sim.setBehaviour({ ignoreEnquireLinks: true })
    const lost = waitForStatus(t, (s) => !s.bound)
    await lost
    sim.setBehaviour({ ignoreEnquireLinks: false })
    await rebind
    await untilBound(t)
    expect(sim.stats().binds).toBeGreaterThanOrEqual(2)
  })

  it('works with an SMSC that wants GSM-7 one septet per octet', async () => {
    const sim = await simulator({ gsm7Packing: 'unpacked' })
    const t = client(sim.url, { gsm7Packing: 'unpacked' })
    const mos: string[] = []
    t.onMo(async (m) => {
      mos.push(m.text)
    })
    await untilBound(t)
    const text = `unpacked ${'z'.repeat(170)} {€}`
    await send(t, text)
    await sim.injectMo(HANDSET, '1234', 'LOCK')
    expect(sim.inbox(HANDSET).map((m) => m.text)).toEqual([text])
    expect(mos).toEqual(['LOCK'])
  })

  it('unbinds on close and refuses to send afterwards', async () => {
    const sim = await simulator()
    const t = client(sim.url)
    await untilBound(t)
    const statuses: string[] = []
    t.onStatus((s) => statuses.push(`${s.bound}:${s.reason ?? ''}`))
    await t.close()
    expect(t.bound).toBe(false)
    expect(statuses.at(-1)).toBe('false:closed')
    expect(sim.stats().boundSessions).toBe(0)
    await expect(send(t, 'x')).rejects.toMatchObject({ code: 'not_bound' })
  })
})
