// Delivery receipts (SMPP 3.4 Appendix B): the text `id:… sub:… dlvr:… submit date:… done date:… stat:… err:…
// text:…` and/or the TLVs receipted_message_id and message_state, which win when both are present.
import { type DeliveryReceipt, isFinalReceiptState, type ReceiptState } from '../transport.ts'
import { MessageStateCodes } from './package.ts'

const STATES: readonly ReceiptState[] = [
  'DELIVRD',
  'UNDELIV',
  'EXPIRED',
  'REJECTD',
  'DELETED',
  'ACCEPTD',
  'ENROUTE',
  'UNKNOWN',
]
// Long forms some SMSCs write in stat: instead of the 7-letter codes.
const ALIASES: Record<string, ReceiptState> = {
  DELIVERED: 'DELIVRD',
  UNDELIVERABLE: 'UNDELIV',
  UNDELIVERED: 'UNDELIV',
  REJECTED: 'REJECTD',
  ACCEPTED: 'ACCEPTD',
}

export function normaliseReceiptState(stat: string | null | undefined): ReceiptState {
  const s = (stat ?? '').trim().toUpperCase()
  if ((STATES as readonly string[]).includes(s)) return s as ReceiptState
  return ALIASES[s] ?? 'UNKNOWN'
}

/** YYMMDDhhmm[ss] in the SMSC's clock, read in the given UTC offset (minutes). */
export function parseReceiptDate(value: string | undefined, utcOffsetMinutes = 0): Date | null {
  const m = value?.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/)
  if (!m) return null
  const [, yy, mo, dd, hh, mi, ss] = m
  const ms = Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss ?? '0'))
  const date = new Date(ms - utcOffsetMinutes * 60_000)
  return Number.isNaN(date.getTime()) || Number(mo) < 1 || Number(mo) > 12 ? null : date
}

export interface ReceiptFields {
  text: string
  receiptedMessageId?: string | null
  messageState?: number | null
  /** network_error_code TLV: type octet + 2-octet code. */
  networkErrorCode?: Buffer | null
}

const FIELD = (name: string) => new RegExp(`(?:^|\\s)${name}:\\s*(\\S*)`, 'i')

/**
 * The receipt's `text:` field repeats the start of the message, which may hold a one-time code: it is redacted
 * in `raw`, which is stored as evidence and may be logged.
 */
export function redactReceiptText(text: string): string {
  return text.replace(/(\btext:)[\s\S]*$/i, '$1[redacted]')
}

/** Parses a receipt; null when it names no message id at all. */
export function parseReceipt(fields: ReceiptFields, utcOffsetMinutes = 0): DeliveryReceipt | null {
  const text = fields.text
  const pick = (name: string) => text.match(FIELD(name))?.[1]
  const messageId = (fields.receiptedMessageId?.trim() || pick('id') || '').trim()
  if (!messageId) return null
  const tlvState = fields.messageState ? MessageStateCodes[fields.messageState] : undefined
  const state = normaliseReceiptState(tlvState ?? pick('stat'))
  const doneAt = parseReceiptDate(text.match(/done date:\s*(\d{10,12})/i)?.[1], utcOffsetMinutes)
  let error: string | null = null
  const err = pick('err')
  if (err && !/^0+$/.test(err)) error = err
  if (!error && fields.networkErrorCode && fields.networkErrorCode.length === 3) {
    const code = fields.networkErrorCode.readUInt16BE(1)
    if (code !== 0) error = `network:${fields.networkErrorCode[0]}:${code}`
  }
  const raw = text.trim()
    ? redactReceiptText(text)
    : `receipted_message_id:${messageId} message_state:${fields.messageState ?? ''}`
  return { messageId, state, final: isFinalReceiptState(state), doneAt, error, raw }
}
