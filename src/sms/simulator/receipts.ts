// The simulator's delivery receipts: one deliver_sm per submitted part, sent at once, after a delay, or held until
// flushReceipts(). Like a real SMSC it keeps a receipt until a bound client acknowledges it, retrying after a
// negative answer or when a client binds again.
import type { Clock } from '../../domain/clock.ts'
import { type SmppAddress, toSmppAddress } from '../smpp/addresses.ts'
import { newPdu, type Pdu, type SmppSession, Status } from '../smpp/package.ts'
import type { ReceiptState } from '../transport.ts'

export interface OutgoingReceipt {
  /** The id as written in this receipt (hex or decimal, per the simulator's id style). */
  receiptId: string
  /** The id the client got in submit_sm_resp. */
  submitId: string
  state: ReceiptState
  submittedAt: Date
  /** Receipts go from the handset back to the sender: source = the part's destination. */
  handset: string
  sender: string
  systemId: string
  session: SmppSession | null
  /** The first characters of the part, as SMSCs repeat them in `text:`. */
  textStart: string
  withTlvs: boolean
}

const STATE_CODE: Record<ReceiptState, number> = {
  ENROUTE: 1,
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
}

function yymmddhhmm(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`
}

export function receiptText(r: OutgoingReceipt, doneAt: Date): string {
  const delivered = r.state === 'DELIVRD' ? '001' : '000'
  const err = r.state === 'DELIVRD' || r.state === 'ENROUTE' || r.state === 'ACCEPTD' ? '000' : '001'
  return (
    `id:${r.receiptId} sub:001 dlvr:${delivered} submit date:${yymmddhhmm(r.submittedAt)} ` +
    `done date:${yymmddhhmm(doneAt)} stat:${r.state} err:${err} text:${r.textStart}`
  )
}

function receiptPdu(r: OutgoingReceipt, doneAt: Date): Pdu {
  const src: SmppAddress = toSmppAddress(r.handset)
  const dst: SmppAddress = toSmppAddress(r.sender)
  const fields: Record<string, unknown> = {
    source_addr_ton: src.ton,
    source_addr_npi: src.npi,
    source_addr: src.addr,
    dest_addr_ton: dst.ton,
    dest_addr_npi: dst.npi,
    destination_addr: dst.addr,
    esm_class: 0x04,
    data_coding: 0x00,
    short_message: Buffer.from(receiptText(r, doneAt), 'latin1'),
  }
  if (r.withTlvs) {
    fields.receipted_message_id = r.receiptId
    fields.message_state = STATE_CODE[r.state]
  }
  return newPdu('deliver_sm', fields)
}

export interface ReceiptOutboxDeps {
  clock: Clock
  retryMs: number
  /** A bound session that can take deliver_sm for this system id (the preferred one when still bound). */
  pickSession(systemId: string, preferred: SmppSession | null): SmppSession | null
  onAcked(r: OutgoingReceipt, status: number): void
  /** Runs fn when the session closes; returns a function that cancels it. */
  onSessionClose(session: SmppSession, fn: () => void): () => void
}

export class ReceiptOutbox {
  private readonly deps: ReceiptOutboxDeps
  private waiting: OutgoingReceipt[] = []
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private closed = false
  sent = 0
  acked = 0

  constructor(deps: ReceiptOutboxDeps) {
    this.deps = deps
  }

  get pending(): number {
    return this.waiting.length
  }

  /** Sends now (delayMs 0), after delayMs, or keeps it for flush() (hold). */
  schedule(r: OutgoingReceipt, how: { hold: boolean; delayMs: number }): void {
    if (how.hold) this.waiting.push(r)
    else if (how.delayMs > 0) this.later(() => this.send(r), how.delayMs)
    else this.send(r)
  }

  /** Sends every waiting receipt now; returns how many went out. */
  flush(): number {
    const batch = this.waiting
    this.waiting = []
    let count = 0
    for (const r of batch) if (this.send(r)) count++
    return count
  }

  /** A client bound: receipts that found nobody to go to are retried. */
  retryUndelivered(): void {
    const batch = this.waiting.filter((r) => r.session === null)
    this.waiting = this.waiting.filter((r) => r.session !== null)
    for (const r of batch) this.send(r)
  }

  close(): void {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  private later(fn: () => void, ms: number): void {
    if (this.closed) return
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }

  private send(r: OutgoingReceipt): boolean {
    if (this.closed) return false
    const session = this.deps.pickSession(r.systemId, r.session)
    if (!session) {
      this.waiting.push({ ...r, session: null })
      return false
    }
    const pdu = receiptPdu({ ...r, session }, this.deps.clock.now())
    const retry = () => this.later(() => this.send({ ...r, session: null }), this.deps.retryMs)
    const cancel = this.deps.onSessionClose(session, retry)
    const ok = session.send(pdu, (resp) => {
      cancel()
      this.deps.onAcked(r, resp.command_status)
      if (resp.command_status === Status.ROK) this.acked++
      else retry()
    })
    if (!ok) {
      cancel()
      this.waiting.push({ ...r, session: null })
      return false
    }
    this.sent++
    return true
  }
}
