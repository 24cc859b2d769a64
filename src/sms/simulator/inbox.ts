// What each phone would show: parts reassembled by their concatenation header into one decoded text.
import { decodeSms } from '../encoding.ts'

export interface InboxMessage {
  /** The handset's number as the client addressed it ('+855…' for international). */
  to: string
  from: string
  /** Decoded and reassembled text, exactly what the phone displays. */
  text: string
  parts: number
  dataCoding: number
  /** The SMSC message id of each part, in part order, as returned in submit_sm_resp. */
  messageIds: string[]
  receivedAt: Date
}

export interface ReceivedPart {
  to: string
  from: string
  dataCoding: number
  esmClass: number
  shortMessage: Buffer
  messageId: string
  receivedAt: Date
}

const MAX_PER_NUMBER = 500
const MAX_ALL = 20_000

interface PartialMessage {
  count: number
  parts: Map<number, { text: string; messageId: string }>
  dataCoding: number
}

/** Numbers compare without '+' (the SMSC routes on digits). */
export function inboxKey(msisdn: string): string {
  return msisdn.trim().replace(/^\+/, '')
}

export class Inbox {
  private readonly byNumber = new Map<string, InboxMessage[]>()
  private readonly all: InboxMessage[] = []
  private readonly partial = new Map<string, PartialMessage>()
  private readonly gsm7Packed: boolean

  constructor(options: { gsm7Packed: boolean }) {
    this.gsm7Packed = options.gsm7Packed
  }

  /** Adds one submitted part; returns the message once it is complete (at once for a single part). */
  add(part: ReceivedPart): InboxMessage | null {
    const decoded = decodeSms(part.dataCoding, part.shortMessage, (part.esmClass & 0x40) !== 0, {
      gsm7Packed: this.gsm7Packed,
    })
    const concat = decoded.concat
    if (!concat || concat.count <= 1) {
      return this.store({
        to: part.to,
        from: part.from,
        text: decoded.text,
        parts: 1,
        dataCoding: part.dataCoding,
        messageIds: [part.messageId],
        receivedAt: part.receivedAt,
      })
    }
    const key = `${inboxKey(part.to)}|${part.from}|${concat.reference}|${concat.count}`
    let pending = this.partial.get(key)
    if (!pending) {
      pending = { count: concat.count, parts: new Map(), dataCoding: part.dataCoding }
      this.partial.set(key, pending)
    }
    pending.parts.set(concat.index, { text: decoded.text, messageId: part.messageId })
    if (pending.parts.size < pending.count) return null
    this.partial.delete(key)
    const ordered = [...pending.parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)
    return this.store({
      to: part.to,
      from: part.from,
      text: ordered.map((p) => p.text).join(''),
      parts: pending.count,
      dataCoding: pending.dataCoding,
      messageIds: ordered.map((p) => p.messageId),
      receivedAt: part.receivedAt,
    })
  }

  private store(message: InboxMessage): InboxMessage {
    const key = inboxKey(message.to)
    const list = this.byNumber.get(key) ?? []
    list.push(message)
    // A long-running demo keeps the newest messages only.
    if (list.length > MAX_PER_NUMBER) list.shift()
    this.byNumber.set(key, list)
    this.all.push(message)
    if (this.all.length > MAX_ALL) this.all.shift()
    return message
  }

  messagesFor(msisdn: string): InboxMessage[] {
    return [...(this.byNumber.get(inboxKey(msisdn)) ?? [])]
  }

  messages(): InboxMessage[] {
    return [...this.all]
  }

  /** Multi-part messages still missing parts. */
  get incomplete(): number {
    return this.partial.size
  }
}
