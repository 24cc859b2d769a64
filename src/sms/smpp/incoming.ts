// deliver_sm from the SMSC: delivery receipts and mobile-originated messages. Each PDU is acknowledged only after
// its handler resolved (a failure answers ESME_RX_T_APPN so the SMSC delivers it again); the parts of a multi-part
// MO are all held unacknowledged until the reassembled message is handled, so a crash loses nothing.
import type { Logger } from 'pino'
import type { Clock } from '../../domain/clock.ts'
import { decodeSms } from '../encoding.ts'
import type { DeliveryReceipt, MoMessage } from '../transport.ts'
import { fromSmppAddress } from './addresses.ts'
import { asBuffer, asNumber, asString, type Pdu, type SmppSession, Status } from './package.ts'
import { parseReceipt } from './receipts.ts'

export type SmppLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>

export interface IncomingOptions {
  gsm7Packed: boolean
  receiptUtcOffsetMinutes: number
  moReassemblyTimeoutMs: number
  clock: Clock
  logger: SmppLogger
  receiptHandler(): ((r: DeliveryReceipt) => Promise<void>) | null
  moHandler(): ((m: MoMessage) => Promise<void>) | null
}

interface PendingMo {
  from: string
  to: string
  count: number
  parts: Map<number, { text: string; pdu: Pdu }>
  firstAt: Date
  timer: ReturnType<typeof setTimeout>
  session: SmppSession
}

interface RecentMo {
  outcome: 'handling' | 'done' | 'failed'
  /** Repeated parts that arrived while the handler ran. */
  extra: Pdu[]
  at: number
}

const ESM_MESSAGE_TYPE = 0x3c
const SMSC_DELIVERY_RECEIPT = 0x04
const INTERMEDIATE_NOTIFICATION = 0x20
const UDHI = 0x40

export function isReceiptPdu(pdu: Pdu): boolean {
  const type = asNumber(pdu.esm_class) & ESM_MESSAGE_TYPE
  return type === SMSC_DELIVERY_RECEIPT || type === INTERMEDIATE_NOTIFICATION || Boolean(pdu.receipted_message_id)
}

function bodyOf(pdu: Pdu): Buffer {
  const short = asBuffer(pdu.short_message)
  return short.length > 0 ? short : asBuffer(pdu.message_payload)
}

function respond(session: SmppSession, pdu: Pdu, status: number): void {
  session.send(pdu.response({ command_status: status }))
}

export class IncomingDeliveries {
  private readonly options: IncomingOptions
  private readonly pending = new Map<string, PendingMo>()
  /** Multi-part MOs handed over recently: a part the SMSC repeats afterwards must not start a phantom message. */
  private readonly recent = new Map<string, RecentMo>()

  constructor(options: IncomingOptions) {
    this.options = options
  }

  handle(session: SmppSession, pdu: Pdu): void {
    if (isReceiptPdu(pdu)) void this.receipt(session, pdu)
    else this.mo(session, pdu)
  }

  /** The session is gone: partial MOs were never acknowledged, so the SMSC sends them again after the rebind. */
  reset(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer)
    this.pending.clear()
    this.recent.clear()
  }

  private async receipt(session: SmppSession, pdu: Pdu): Promise<void> {
    const { logger } = this.options
    const body = bodyOf(pdu)
    const text = asNumber(pdu.data_coding) === 0x08 ? decodeSms(0x08, body, false).text : body.toString('latin1')
    const receipt = parseReceipt(
      {
        text,
        receiptedMessageId: asString(pdu.receipted_message_id) || null,
        messageState: typeof pdu.message_state === 'number' ? pdu.message_state : null,
        networkErrorCode: Buffer.isBuffer(pdu.network_error_code) ? pdu.network_error_code : null,
      },
      this.options.receiptUtcOffsetMinutes,
    )
    if (!receipt) {
      // Acknowledged anyway: a receipt naming no message can never be matched, and a nack would loop forever.
      logger.warn({ sequence: pdu.sequence_number }, 'smpp: delivery receipt without a message id ignored')
      respond(session, pdu, Status.ROK)
      return
    }
    const handler = this.options.receiptHandler()
    if (!handler) {
      logger.warn({ messageId: receipt.messageId }, 'smpp: receipt arrived before a handler was registered; deferred')
      respond(session, pdu, Status.RX_T_APPN)
      return
    }
    try {
      await handler(receipt)
      respond(session, pdu, Status.ROK)
      logger.debug({ messageId: receipt.messageId, state: receipt.state }, 'smpp: receipt handled')
    } catch (err) {
      logger.error({ err, messageId: receipt.messageId }, 'smpp: receipt handler failed; SMSC will redeliver')
      respond(session, pdu, Status.RX_T_APPN)
    }
  }

  private mo(session: SmppSession, pdu: Pdu): void {
    const from = fromSmppAddress(asString(pdu.source_addr), asNumber(pdu.source_addr_ton))
    const to = fromSmppAddress(asString(pdu.destination_addr), asNumber(pdu.dest_addr_ton))
    const decoded = decodeSms(asNumber(pdu.data_coding), bodyOf(pdu), (asNumber(pdu.esm_class) & UDHI) !== 0, {
      gsm7Packed: this.options.gsm7Packed,
    })
    const concat = decoded.concat
    if (!concat || concat.count <= 1) {
      void this.deliverMo(session, [pdu], { from, to, text: decoded.text, receivedAt: this.options.clock.now() })
      return
    }
    const key = `${from}|${to}|${concat.reference}|${concat.count}`
    this.forgetOldRecent()
    const recent = this.recent.get(key)
    if (recent?.outcome === 'handling') {
      recent.extra.push(pdu) // answered with the message's outcome
      return
    }
    if (recent?.outcome === 'done') {
      respond(session, pdu, Status.ROK)
      return
    }
    if (recent) this.recent.delete(key) // the handler failed: the SMSC is sending the message again
    let group = this.pending.get(key)
    if (!group) {
      group = {
        from,
        to,
        count: concat.count,
        parts: new Map(),
        firstAt: this.options.clock.now(),
        session,
        timer: setTimeout(() => this.completeMo(key, true), this.options.moReassemblyTimeoutMs),
      }
      this.pending.set(key, group)
    }
    // A part sent twice (the SMSC retried) replaces the first; the old copy is answered so it is not retried again.
    const previous = group.parts.get(concat.index)
    if (previous) respond(session, previous.pdu, Status.ROK)
    group.parts.set(concat.index, { text: decoded.text, pdu })
    if (group.parts.size >= group.count) this.completeMo(key, false)
  }

  private completeMo(key: string, timedOut: boolean): void {
    const group = this.pending.get(key)
    if (!group) return
    this.pending.delete(key)
    clearTimeout(group.timer)
    const indexes = [...group.parts.keys()].sort((a, b) => a - b)
    if (timedOut) {
      // Handled with what arrived rather than lost: a missing part shows as an ellipsis.
      this.options.logger.warn(
        { from: group.from, received: indexes.length, count: group.count },
        'smpp: multi-part MO incomplete after the reassembly timeout; handled partially',
      )
    }
    let text = ''
    for (let i = 1; i <= group.count; i++) text += group.parts.get(i)?.text ?? (timedOut ? '…' : '')
    const pdus = indexes.map((i) => group.parts.get(i)?.pdu).filter((p): p is Pdu => Boolean(p))
    const recent: RecentMo = { outcome: 'handling', extra: [], at: performance.now() }
    this.recent.set(key, recent)
    const mo = { from: group.from, to: group.to, text, receivedAt: group.firstAt }
    void this.deliverMo(group.session, pdus, mo, recent)
  }

  private forgetOldRecent(): void {
    const horizon = performance.now() - this.options.moReassemblyTimeoutMs
    for (const [key, r] of this.recent) if (r.outcome !== 'handling' && r.at < horizon) this.recent.delete(key)
  }

  private async deliverMo(session: SmppSession, pdus: Pdu[], mo: MoMessage, recent?: RecentMo): Promise<void> {
    const { logger } = this.options
    const handler = this.options.moHandler()
    let status: number = Status.ROK
    if (!handler) {
      logger.warn({ from: mo.from }, 'smpp: MO arrived before a handler was registered; deferred')
      status = Status.RX_T_APPN
    } else {
      try {
        await handler(mo)
        logger.debug({ from: mo.from, to: mo.to, parts: pdus.length }, 'smpp: MO handled')
      } catch (err) {
        logger.error({ err, from: mo.from }, 'smpp: MO handler failed; SMSC will redeliver')
        status = Status.RX_T_APPN
      }
    }
    if (recent) {
      recent.outcome = status === Status.ROK ? 'done' : 'failed'
      recent.at = performance.now()
      pdus.push(...recent.extra.splice(0))
    }
    for (const pdu of pdus) respond(session, pdu, status)
  }
}
