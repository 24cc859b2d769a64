// An embedded SMSC for the demo and tests (production refuses it): an SMPP 3.4 server on a local port that
// accepts binds, answers submit_sm with message ids, keeps a per-number inbox of reassembled texts, sends a
// delivery receipt per part and injects MO messages. Behaviour switches make it refuse binds, drop or delay
// receipts, answer late, or hold answers until a test releases them.
import type { AddressInfo } from 'node:net'
import { type Clock, SystemClock } from '../../domain/clock.ts'
import { decodeSms } from '../encoding.ts'
import { fromSmppAddress } from '../smpp/addresses.ts'
import {
  asBuffer,
  asNumber,
  asString,
  createSmppServer,
  newPdu,
  type Pdu,
  type SmppServer,
  type SmppSession,
  Status,
} from '../smpp/package.ts'
import type { ReceiptState } from '../transport.ts'
import { Inbox, type InboxMessage } from './inbox.ts'
import { MoNotAcceptedError, sendMo } from './mo.ts'
import { type OutgoingReceipt, ReceiptOutbox } from './receipts.ts'

export type MessageIdStyle = 'decimal' | 'hex' | 'decimal-resp-hex-receipt' | 'hex-resp-decimal-receipt' | 'alternate'

export interface SimulatorBehaviour {
  refuseBinds: boolean
  dropReceipts: boolean
  /** 0: the receipt follows the submit_sm_resp at once. */
  receiptDelayMs: number
  /** Keep receipts until flushReceipts(). */
  holdReceipts: boolean
  receiptState: ReceiptState
  /** Delay every submit_sm_resp. */
  answerLateMs: number
  /** Keep submit_sm_resp until releaseSubmitResponses(). */
  holdSubmitResponses: boolean
  /** Answer submit_sm with this command_status instead of accepting (e.g. 0x58 throttled). */
  rejectSubmitsWith: number | null
  /** How ids look in submit_sm_resp and in receipts; 'alternate' mixes styles message by message. */
  messageIds: MessageIdStyle
  /** Also put receipted_message_id and message_state TLVs in receipts. */
  receiptTlvs: boolean
  /** Leave enquire_link unanswered (a dead link, as the client sees it). */
  ignoreEnquireLinks: boolean
}

export interface SimulatorOptions {
  host?: string
  port?: number
  systemId?: string
  password?: string
  /** TLS (the URL becomes smpps://). */
  tls?: { key: string | Buffer; cert: string | Buffer }
  gsm7Packing?: 'packed' | 'unpacked'
  clock?: Clock
  behaviour?: Partial<SimulatorBehaviour>
  /** Wait before resending a receipt the client answered with an error (default 1 s). */
  receiptRetryMs?: number
}

export type SimulatorEvent =
  | { type: 'bind'; systemId: string; accepted: boolean; status: number }
  | {
      type: 'submit'
      to: string
      from: string
      priority: number
      messageId: string | null
      status: number
      /** The PDU fields as received, to check what went over the wire. */
      wire: { dataCoding: number; esmClass: number; registeredDelivery: number; shortMessage: Buffer }
    }
  | { type: 'submit_resp'; messageId: string | null; inFlight: number }
  | { type: 'receipt_scheduled'; submitId: string; how: 'sent' | 'delayed' | 'held' | 'dropped' }
  | { type: 'receipt_acked'; submitId: string; receiptId: string; status: number }
  | { type: 'enquire_link'; answered: boolean }
  | { type: 'message'; message: InboxMessage }

export interface SimulatorStats {
  binds: number
  bindRefusals: number
  boundSessions: number
  submits: number
  inFlight: number
  maxInFlight: number
  heldResponses: number
  receiptsSent: number
  receiptsAcked: number
  receiptsPending: number
  incompleteMessages: number
}

export interface SmscSimulator {
  url: string
  host: string
  port: number
  inbox(msisdn: string): InboxMessage[]
  allMessages(): InboxMessage[]
  /** Sends an MO from a handset; resolves once the bound client acknowledged every part with status 0. */
  injectMo(from: string, to: string, text: string): Promise<void>
  setBehaviour(b: Partial<SimulatorBehaviour>): void
  behaviour(): SimulatorBehaviour
  onMessage(listener: (m: InboxMessage) => void): () => void
  onEvent(listener: (e: SimulatorEvent) => void): () => void
  /** Sends every held receipt now; returns how many went out. */
  flushReceipts(): number
  /** Sends held submit_sm_resp (all, or the first `count`); returns how many went out. */
  releaseSubmitResponses(count?: number): number
  /** Drops every client connection (they rebind). */
  disconnectClients(): void
  stats(): SimulatorStats
  close(): Promise<void>
}

const DEFAULT_BEHAVIOUR: SimulatorBehaviour = {
  refuseBinds: false,
  dropReceipts: false,
  receiptDelayMs: 0,
  holdReceipts: false,
  receiptState: 'DELIVRD',
  answerLateMs: 0,
  holdSubmitResponses: false,
  rejectSubmitsWith: null,
  messageIds: 'alternate',
  receiptTlvs: true,
  ignoreEnquireLinks: false,
}

interface SessionState {
  bound: boolean
  mode: 'transceiver' | 'transmitter' | 'receiver' | null
  systemId: string
}

/** SMSCs repeat the first 20 characters in `text:` (Latin-1 only: anything else shows as '?'). */
function receiptTextStart(dataCoding: number, esmClass: number, body: Buffer, gsm7Packed: boolean): string {
  const { text } = decodeSms(dataCoding, body, (esmClass & 0x40) !== 0, { gsm7Packed })
  return text.slice(0, 20).replace(/[^\x20-\x7e\xa0-\xff]/g, '?')
}

const BIND_MODES = {
  bind_transceiver: 'transceiver',
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
} as const

export async function startSmscSimulator(options: SimulatorOptions = {}): Promise<SmscSimulator> {
  const host = options.host ?? '127.0.0.1'
  const systemId = options.systemId ?? 'numguard'
  const password = options.password ?? 'simpass'
  const clock = options.clock ?? new SystemClock()
  const gsm7Packed = options.gsm7Packing !== 'unpacked'
  let behaviour: SimulatorBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour }
  const sessions = new Map<SmppSession, SessionState>()
  const inbox = new Inbox({ gsm7Packed })
  const messageListeners = new Set<(m: InboxMessage) => void>()
  const eventListeners = new Set<(e: SimulatorEvent) => void>()
  const held: (() => void)[] = []
  const lateTimers = new Set<ReturnType<typeof setTimeout>>()
  const stats = { binds: 0, bindRefusals: 0, submits: 0, inFlight: 0, maxInFlight: 0 }
  // Ids never repeat across restarts of the demo (a stored part must not match a new simulator's receipt).
  let nextId = Date.now() * 1000
  let moReference = Math.floor(Math.random() * 256)

  const emit = (e: SimulatorEvent) => {
    for (const l of eventListeners) l(e)
    if (e.type === 'message') for (const l of messageListeners) l(e.message)
  }

  // One 'close' listener per session; receipts and MOs awaiting an answer register here instead.
  const closeHandlers = new Map<SmppSession, Set<() => void>>()
  const onSessionClose = (session: SmppSession, fn: () => void) => {
    const set = closeHandlers.get(session)
    if (!set) {
      fn()
      return () => {}
    }
    set.add(fn)
    return () => set.delete(fn)
  }
  const receivers = (sid: string) =>
    [...sessions].filter(([, s]) => s.bound && s.mode !== 'transmitter' && s.systemId === sid).map(([x]) => x)
  const outbox = new ReceiptOutbox({
    clock,
    retryMs: options.receiptRetryMs ?? 1_000,
    pickSession: (sid, preferred) => {
      if (preferred && sessions.get(preferred)?.bound && preferred.socket.writable) return preferred
      return receivers(sid).find((x) => x.socket.writable) ?? null
    },
    onAcked: (r, status) => emit({ type: 'receipt_acked', submitId: r.submitId, receiptId: r.receiptId, status }),
    onSessionClose,
  })

  function idsFor(n: number): { submitId: string; receiptId: string } {
    const dec = String(n)
    const hex = n.toString(16).toUpperCase()
    switch (behaviour.messageIds) {
      case 'decimal':
        return { submitId: dec, receiptId: dec }
      case 'hex':
        return { submitId: hex, receiptId: hex }
      case 'decimal-resp-hex-receipt':
        return { submitId: dec, receiptId: hex }
      case 'hex-resp-decimal-receipt':
        return { submitId: hex, receiptId: dec }
      default:
        return n % 2 === 0 ? { submitId: dec, receiptId: hex } : { submitId: dec, receiptId: dec }
    }
  }

  function onBind(session: SmppSession, state: SessionState, pdu: Pdu): void {
    const sid = asString(pdu.system_id)
    let status: number = Status.ROK
    if (state.bound) status = Status.RALYBND
    else if (behaviour.refuseBinds) status = Status.RBINDFAIL
    else if (sid !== systemId) status = Status.RINVSYSID
    else if (asString(pdu.password) !== password) status = Status.RINVPASWD
    stats.binds++
    if (status !== Status.ROK) stats.bindRefusals++
    session.send(pdu.response({ command_status: status, system_id: 'numguard-smsc' }))
    emit({ type: 'bind', systemId: sid, accepted: status === Status.ROK, status })
    if (status !== Status.ROK) return
    state.bound = true
    state.mode = BIND_MODES[pdu.command as keyof typeof BIND_MODES]
    state.systemId = sid
    outbox.retryUndelivered()
  }

  function onSubmit(session: SmppSession, state: SessionState, pdu: Pdu): void {
    const to = fromSmppAddress(asString(pdu.destination_addr), asNumber(pdu.dest_addr_ton))
    const from = fromSmppAddress(asString(pdu.source_addr), asNumber(pdu.source_addr_ton))
    const priority = asNumber(pdu.priority_flag)
    stats.submits++
    let status: number = Status.ROK
    if (!state.bound || state.mode === 'receiver') status = Status.RINVBNDSTS
    else if (behaviour.rejectSubmitsWith !== null) status = behaviour.rejectSubmitsWith
    const ids = status === Status.ROK ? idsFor(nextId++) : null
    const shortMessage = asBuffer(pdu.short_message)
    const dataCoding = asNumber(pdu.data_coding)
    const esmClass = asNumber(pdu.esm_class)
    const wire = { dataCoding, esmClass, registeredDelivery: asNumber(pdu.registered_delivery), shortMessage }
    emit({ type: 'submit', to, from, priority, messageId: ids?.submitId ?? null, status, wire })
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    const submittedAt = clock.now()
    if (ids) {
      const message = inbox.add({
        to,
        from,
        dataCoding,
        esmClass,
        shortMessage,
        messageId: ids.submitId,
        receivedAt: submittedAt,
      })
      if (message) emit({ type: 'message', message })
    }
    const answer = () => {
      stats.inFlight--
      emit({ type: 'submit_resp', messageId: ids?.submitId ?? null, inFlight: stats.inFlight })
      const resp = pdu.response(ids ? { message_id: ids.submitId } : { command_status: status })
      session.send(resp, () => {
        if (!ids) return
        if (behaviour.dropReceipts) {
          emit({ type: 'receipt_scheduled', submitId: ids.submitId, how: 'dropped' })
          return
        }
        const receipt: OutgoingReceipt = {
          receiptId: ids.receiptId,
          submitId: ids.submitId,
          state: behaviour.receiptState,
          submittedAt,
          handset: to,
          sender: from,
          systemId: state.systemId,
          session,
          textStart: receiptTextStart(dataCoding, esmClass, shortMessage, gsm7Packed),
          withTlvs: behaviour.receiptTlvs,
        }
        const how = behaviour.holdReceipts ? 'held' : behaviour.receiptDelayMs > 0 ? 'delayed' : 'sent'
        outbox.schedule(receipt, { hold: behaviour.holdReceipts, delayMs: behaviour.receiptDelayMs })
        emit({ type: 'receipt_scheduled', submitId: ids.submitId, how })
      })
    }
    if (behaviour.holdSubmitResponses) held.push(answer)
    else if (behaviour.answerLateMs > 0) {
      const t = setTimeout(() => {
        lateTimers.delete(t)
        answer()
      }, behaviour.answerLateMs)
      lateTimers.add(t)
    } else answer()
  }

  function onPdu(session: SmppSession, pdu: Pdu): void {
    const state = sessions.get(session)
    if (!state || pdu.isResponse()) return
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        onBind(session, state, pdu)
        return
      case 'submit_sm':
        onSubmit(session, state, pdu)
        return
      case 'enquire_link':
        emit({ type: 'enquire_link', answered: !behaviour.ignoreEnquireLinks })
        if (!behaviour.ignoreEnquireLinks) session.send(pdu.response())
        return
      case 'unbind':
        state.bound = false
        session.send(pdu.response(), () => session.close())
        return
      default:
        session.send(newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: Status.RINVCMDID }))
    }
  }

  const server: SmppServer = createSmppServer(
    options.tls ? { key: options.tls.key, cert: options.tls.cert } : {},
    (session) => {
      sessions.set(session, { bound: false, mode: null, systemId: '' })
      closeHandlers.set(session, new Set())
      session.on('pdu', (pdu: Pdu) => onPdu(session, pdu))
      session.on('error', () => session.destroy())
      session.on('close', () => {
        sessions.delete(session)
        const handlers = closeHandlers.get(session)
        closeHandlers.delete(session)
        for (const fn of handlers ?? []) fn()
      })
    },
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const scheme = options.tls ? 'smpps' : 'smpp'
  const url = `${scheme}://${encodeURIComponent(systemId)}:${encodeURIComponent(password)}@${host.includes(':') ? `[${host}]` : host}:${port}`

  async function injectMo(from: string, to: string, text: string): Promise<void> {
    const target = [...sessions].find(([x, s]) => s.bound && s.mode !== 'transmitter' && x.socket.writable)?.[0]
    if (!target) throw new MoNotAcceptedError('injectMo: no client is bound to receive the message')
    moReference = (moReference + 1) % 256
    await sendMo(target, { from, to, text, reference: moReference }, { gsm7Packed, onSessionClose })
  }

  return {
    url,
    host,
    port,
    inbox: (msisdn) => inbox.messagesFor(msisdn),
    allMessages: () => inbox.messages(),
    injectMo,
    setBehaviour(b) {
      behaviour = { ...behaviour, ...b }
    },
    behaviour: () => ({ ...behaviour }),
    onMessage(listener) {
      messageListeners.add(listener)
      return () => messageListeners.delete(listener)
    },
    onEvent(listener) {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    flushReceipts: () => outbox.flush(),
    releaseSubmitResponses(count = held.length) {
      const batch = held.splice(0, count)
      for (const answer of batch) answer()
      return batch.length
    },
    disconnectClients() {
      for (const session of sessions.keys()) session.destroy()
    },
    stats: () => ({
      binds: stats.binds,
      bindRefusals: stats.bindRefusals,
      boundSessions: [...sessions.values()].filter((s) => s.bound).length,
      submits: stats.submits,
      inFlight: stats.inFlight,
      maxInFlight: stats.maxInFlight,
      heldResponses: held.length,
      receiptsSent: outbox.sent,
      receiptsAcked: outbox.acked,
      receiptsPending: outbox.pending,
      incompleteMessages: inbox.incomplete,
    }),
    async close() {
      outbox.close()
      for (const t of lateTimers) clearTimeout(t)
      held.length = 0
      for (const session of sessions.keys()) session.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
