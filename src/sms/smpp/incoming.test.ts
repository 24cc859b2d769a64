import { EventEmitter } from 'node:events'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { SystemClock } from '../../domain/clock.ts'
import { encodeSms } from '../encoding.ts'
import type { DeliveryReceipt, MoMessage } from '../transport.ts'
import { IncomingDeliveries, isReceiptPdu } from './incoming.ts'
import { newPdu, type Pdu, type SmppSession } from './package.ts'

function fakeSession() {
  const sent: Pdu[] = []
  const session = Object.assign(new EventEmitter(), {
    send: (pdu: Pdu) => {
      sent.push(pdu)
      return true
    },
  }) as unknown as SmppSession
  return { session, sent }
}

function setup(options: { mo?: (m: MoMessage) => Promise<void>; receipt?: (r: DeliveryReceipt) => Promise<void> }) {
  return new IncomingDeliveries({
    gsm7Packed: true,
    receiptUtcOffsetMinutes: 0,
    moReassemblyTimeoutMs: 20,
    clock: new SystemClock(),
    logger: pino({ level: 'silent' }),
    receiptHandler: () => options.receipt ?? null,
    moHandler: () => options.mo ?? null,
  })
}

function moParts(text: string, ref: number): Pdu[] {
  return encodeSms(text, ref).map((part, i) =>
    newPdu('deliver_sm', {
      sequence_number: 100 + i,
      source_addr_ton: 1,
      source_addr: '85512345678',
      destination_addr: '1234',
      esm_class: part.esmClass,
      data_coding: part.dataCoding,
      short_message: part.shortMessage,
    }),
  )
}

const flush = () => new Promise((r) => setImmediate(r))

describe('IncomingDeliveries', () => {
  it('reassembles parts in any order and acknowledges them, and a repeated part, only after the handler', async () => {
    const text = `STATUS ${'x'.repeat(200)}`
    const handled: MoMessage[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    let started!: () => void
    const handlerStarted = new Promise<void>((r) => {
      started = r
    })
    const incoming = setup({
      mo: async (m) => {
        handled.push(m)
        started()
        await gate
      },
    })
    const { session, sent } = fakeSession()
    const [p1, p2] = moParts(text, 9)
    incoming.handle(session, p2)
    incoming.handle(session, p1)
    await handlerStarted
    incoming.handle(session, p1) // the SMSC repeats part 1 while the handler runs
    expect(sent).toHaveLength(0)
    release()
    await flush()
    expect(handled).toHaveLength(1)
    expect(handled[0]).toMatchObject({ from: '+85512345678', to: '1234', text })
    expect(sent.map((p) => [p.command, p.sequence_number, p.command_status])).toEqual([
      ['deliver_sm_resp', 100, 0],
      ['deliver_sm_resp', 101, 0],
      ['deliver_sm_resp', 100, 0],
    ])
    incoming.handle(session, p2) // and once more after it finished: acknowledged, not a new message
    await flush()
    expect(sent).toHaveLength(4)
    expect(handled).toHaveLength(1)
  })

  it('hands over an incomplete multi-part MO after the reassembly timeout rather than losing it', async () => {
    const got = new Promise<MoMessage>((resolve) => {
      const incoming = setup({ mo: async (m) => resolve(m) })
      const { session } = fakeSession()
      const parts = moParts('y'.repeat(400), 3)
      incoming.handle(session, parts[1])
    })
    const mo = await got
    expect(mo.text).toBe(`…${'y'.repeat(153)}…`)
  })

  it('defers a receipt with a temporary error while no handler is registered', () => {
    const incoming = setup({})
    const { session, sent } = fakeSession()
    const pdu = newPdu('deliver_sm', { esm_class: 0x04, short_message: Buffer.from('id:12 stat:DELIVRD') })
    expect(isReceiptPdu(pdu)).toBe(true)
    incoming.handle(session, pdu)
    expect(sent.map((p) => p.command_status)).toEqual([0x64])
  })

  it('reads receipts carried by data_sm in message_payload', async () => {
    const receipts: DeliveryReceipt[] = []
    const incoming = setup({ receipt: async (r) => void receipts.push(r) })
    const { session, sent } = fakeSession()
    const pdu = newPdu('data_sm', {
      esm_class: 0x04,
      message_payload: Buffer.from('id:ab12 sub:001 dlvr:001 stat:EXPIRED err:000'),
    })
    incoming.handle(session, pdu)
    await flush()
    expect(receipts).toMatchObject([{ messageId: 'ab12', state: 'EXPIRED', final: true }])
    expect(sent.map((p) => [p.command, p.command_status])).toEqual([['data_sm_resp', 0]])
  })
})
