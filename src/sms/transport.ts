// The contract between the SMS database side (notices, receipts, MO routing) and the SMPP transport.
// Nothing here touches the database; nothing in the transport knows about notices.

export type DataCoding = 0x00 | 0x08 // GSM-7 default alphabet (encoded by us), UCS-2

export interface EncodedPart {
  /** 1-based. */
  index: number
  count: number
  dataCoding: DataCoding
  /** 0x40 (UDHI) when the part carries a concatenation header. */
  esmClass: number
  /** UDH + payload bytes, exactly what goes in short_message. */
  shortMessage: Buffer
}

export type ReceiptState = 'DELIVRD' | 'UNDELIV' | 'EXPIRED' | 'REJECTD' | 'DELETED' | 'ACCEPTD' | 'ENROUTE' | 'UNKNOWN'

/**
 * States after which the SMSC sends nothing more about a part. docs/DOMAIN.md names DELIVRD, UNDELIV, EXPIRED and
 * REJECTD; DELETED is included too because SMPP 3.4 (§5.2.28) defines it as final: the SMSC discarded the
 * message undelivered (cancel_sm or operator action), so it is as conclusive as UNDELIV and no later receipt
 * will ever arrive. ACCEPTD, ENROUTE and UNKNOWN are interim/unknown and never final.
 */
export const FINAL_RECEIPT_STATES: readonly ReceiptState[] = Object.freeze([
  'DELIVRD',
  'UNDELIV',
  'EXPIRED',
  'REJECTD',
  'DELETED',
] as const)

export function isFinalReceiptState(state: ReceiptState): boolean {
  return FINAL_RECEIPT_STATES.includes(state)
}

export interface DeliveryReceipt {
  messageId: string
  state: ReceiptState
  final: boolean
  doneAt: Date | null
  error: string | null
  /** The receipt text as received (short_message), or a TLV summary when the body was empty. */
  raw: string
}

/** A mobile-originated message: text decoded (GSM-7/UCS-2/latin1), multi-part MO reassembled. */
export interface MoMessage {
  from: string
  to: string
  text: string
  receivedAt: Date
}

export type SmsPriority = 'otp' | 'bulk'

export type SmppSubmitErrorCode = 'not_bound' | 'timeout' | 'rejected' | 'throttled'

/** Why a part was not accepted. Never a final outcome: the notice side decides whether the send is unknown. */
export class SmppSubmitError extends Error {
  readonly code: SmppSubmitErrorCode
  /** The SMPP command_status of the submit_sm_resp, when one arrived. */
  readonly commandStatus: number | null

  constructor(code: SmppSubmitErrorCode, message: string, commandStatus: number | null = null) {
    super(message)
    this.name = 'SmppSubmitError'
    this.code = code
    this.commandStatus = commandStatus
  }
}

export interface SmsTransport {
  readonly bound: boolean
  /** Sends one part. Resolves with the SMSC's message id only on a submit_sm_resp with status 0; rejects with
   *  SmppSubmitError (code: 'not_bound' | 'timeout' | 'rejected' | 'throttled', command_status when known) otherwise.
   *  Every part requests a delivery receipt (registered_delivery 1). 'otp' parts never wait behind 'bulk' ones. */
  submitPart(input: {
    to: string
    from: string
    part: EncodedPart
    priority: SmsPriority
  }): Promise<{ messageId: string }>
  /** deliver_sm with esm_class receipt bit (or receipted_message_id TLV). */
  onReceipt(handler: (r: DeliveryReceipt) => Promise<void>): void
  /** deliver_sm that is not a receipt; acknowledged only after the handler resolves. */
  onMo(handler: (m: MoMessage) => Promise<void>): void
  onStatus(handler: (s: { bound: boolean; reason?: string }) => void): void
  /** Every session lost and every connection or bind attempt that failed (onStatus reports only changes), with the
   *  reason the transport gives ('ECONNREFUSED', 'bind_refused:0x0d', 'enquire_link_timeout' …): for the metrics. */
  onFailure?(handler: (reason: string) => void): void
  /** Parts accepted by submitPart but still waiting for the window or the rate limit, when the transport has a queue. */
  readonly queued?: number
  close(): Promise<void>
}

/**
 * Message ids may come back hex in a receipt and decimal in submit_sm_resp (or vice versa): true when a and b name
 * the same message. Equal strings (case-insensitive, leading zeros ignored) match; otherwise a decimal id matches a
 * hex id of the same value. Short ids can be ambiguous ('10' read as hex is 16): prefer an exact match when several
 * candidates exist (see pickMessageIdMatch).
 */
export function sameMessageId(a: string, b: string): boolean {
  const x = a.trim()
  const y = b.trim()
  if (x === '' || y === '') return false
  if (x.toLowerCase() === y.toLowerCase()) return true
  const dec = /^[0-9]+$/
  const hex = /^[0-9a-fA-F]+$/
  const asBig = (s: string, radix: 10 | 16): bigint | null => {
    if (radix === 10 ? !dec.test(s) : !hex.test(s)) return null
    return radix === 10 ? BigInt(s) : BigInt(`0x${s}`)
  }
  // One side read as decimal, the other as hex (either way round); leading zeros are not significant.
  const pairs: [string, 10 | 16, string, 10 | 16][] = [
    [x, 10, y, 16],
    [x, 16, y, 10],
    [x, 10, y, 10],
    [x, 16, y, 16],
  ]
  for (const [p, rp, q, rq] of pairs) {
    const u = asBig(p, rp)
    const v = asBig(q, rq)
    if (u !== null && v !== null && u === v) return true
  }
  return false
}

/**
 * The candidate naming the same message as `id`: an exact match (case and leading zeros aside) wins; otherwise the
 * one candidate equal across hex/decimal. Null when there is none, or several (ambiguous: never guess).
 */
export function pickMessageIdMatch(id: string, candidates: readonly string[]): string | null {
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^0+(?=.)/, '')
  const exact = candidates.filter((c) => norm(c) === norm(id))
  if (exact.length > 0) return exact[0]
  const cross = candidates.filter((c) => sameMessageId(c, id))
  return cross.length === 1 ? cross[0] : null
}
