// The SMPP 3.4 client numguard sends through: one bind_transceiver session kept alive with enquire_link and
// rebound with capped, jittered exponential backoff; parts go out through the scheduler (window, rate, otp lane).
// Submit outcomes are typed: 'not_bound' means the part certainly did not leave; 'timeout' means it may have.
// Message bodies are never logged (they may hold one-time codes).
import { isIP } from 'node:net'
import { SystemClock } from '../../domain/clock.ts'
import {
  type DeliveryReceipt,
  type EncodedPart,
  type MoMessage,
  SmppSubmitError,
  type SmsPriority,
  type SmsTransport,
} from '../transport.ts'
import { IncomingDeliveries, type SmppLogger } from './incoming.ts'
import { backoffDelay, DEFAULTS, type SmppTransportOptions } from './options.ts'
import { asString, newPdu, newSession, type Pdu, type SmppSession, Status } from './package.ts'
import { SendScheduler } from './scheduler.ts'
import { submitPduFields } from './submit-pdu.ts'
import { parseSmppUrl, type SmppEndpoint } from './url.ts'

function throttledStatus(status: number): boolean {
  return status === Status.RTHROTTLED || status === Status.RMSGQFUL
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`

export { backoffDelay, type SmppTransportOptions }

export function createSmppTransport(url: string, options: SmppTransportOptions, logger: SmppLogger): SmsTransport {
  const transport = new SmppClientTransport(parseSmppUrl(url), options, logger)
  transport.start()
  return transport
}

type StatusListener = (s: { bound: boolean; reason?: string }) => void

export class SmppClientTransport implements SmsTransport {
  private readonly endpoint: SmppEndpoint
  private readonly opts: SmppTransportOptions & typeof DEFAULTS
  private readonly logger: SmppLogger
  private readonly scheduler: SendScheduler
  private readonly incoming: IncomingDeliveries
  private readonly statusListeners: StatusListener[] = []
  private readonly failureListeners: ((reason: string) => void)[] = []
  private readonly inFlight = new Set<Promise<unknown>>()
  private receiptHandler: ((r: DeliveryReceipt) => Promise<void>) | null = null
  private moHandler: ((m: MoMessage) => Promise<void>) | null = null
  private session: SmppSession | null = null
  private isBound = false
  private closing = false
  private attempt = 0
  private lastStatus = ''
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private enquireTimer: ReturnType<typeof setInterval> | null = null
  private readonly failInFlight = new Set<(reason: string) => void>()
  private readonly closeReasons = new WeakMap<SmppSession, string>()

  constructor(endpoint: SmppEndpoint, options: SmppTransportOptions, logger: SmppLogger) {
    this.endpoint = endpoint
    this.opts = { ...DEFAULTS, ...stripUndefined(options) }
    if (endpoint.tls && this.opts.rejectUnauthorized === false) {
      logger.warn({ host: endpoint.host }, 'smpp: TLS certificate verification is OFF for this SMSC')
    }
    this.logger = logger
    this.scheduler = new SendScheduler({
      window: this.opts.window,
      ratePerSecond: this.opts.ratePerSecond,
      burst: this.opts.burst,
      timers: this.opts.timers,
    })
    this.incoming = new IncomingDeliveries({
      gsm7Packed: this.opts.gsm7Packing !== 'unpacked',
      receiptUtcOffsetMinutes: this.opts.receiptUtcOffsetMinutes ?? 0,
      moReassemblyTimeoutMs: this.opts.moReassemblyTimeoutMs,
      clock: this.opts.clock ?? new SystemClock(),
      logger,
      receiptHandler: () => this.receiptHandler,
      moHandler: () => this.moHandler,
    })
  }

  get bound(): boolean {
    return this.isBound
  }

  /** Parts waiting for the window or the rate limit (not yet sent). */
  get queued(): number {
    return this.scheduler.queued
  }

  start(): void {
    this.connect()
  }

  onReceipt(handler: (r: DeliveryReceipt) => Promise<void>): void {
    this.receiptHandler = handler
  }

  onMo(handler: (m: MoMessage) => Promise<void>): void {
    this.moHandler = handler
  }

  onStatus(handler: StatusListener): void {
    this.statusListeners.push(handler)
  }

  onFailure(handler: (reason: string) => void): void {
    this.failureListeners.push(handler)
  }

  submitPart(input: { to: string; from: string; part: EncodedPart; priority: SmsPriority }): Promise<{
    messageId: string
  }> {
    if (this.closing) return Promise.reject(new SmppSubmitError('not_bound', 'the SMPP transport is closed'))
    if (!this.isBound)
      return Promise.reject(new SmppSubmitError('not_bound', 'not bound to the SMSC; nothing was sent'))
    if (this.scheduler.queued >= this.opts.maxQueue) {
      return Promise.reject(new SmppSubmitError('throttled', `send queue full (${this.opts.maxQueue} parts waiting)`))
    }
    let fields: Record<string, unknown>
    try {
      fields = submitPduFields(input, this.opts.gsm7Packing ?? 'packed')
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      this.scheduler.enqueue(
        input.priority,
        (release) => this.dispatch(fields, input.part, release, resolve, reject),
        (reason) => reject(reason),
      )
    })
  }

  private dispatch(
    fields: Record<string, unknown>,
    part: EncodedPart,
    release: () => void,
    resolve: (v: { messageId: string }) => void,
    reject: (e: Error) => void,
  ): void {
    const session = this.session
    if (!session || !this.isBound) {
      release()
      reject(new SmppSubmitError('not_bound', 'the SMSC session closed before the part was sent; nothing was sent'))
      return
    }
    let settled = false
    let timer: ReturnType<typeof setTimeout> | null = null
    let done!: () => void
    const tracker = new Promise<void>((r) => {
      done = r
    })
    this.inFlight.add(tracker)
    const settle = (outcome: () => void) => {
      if (settled) return false
      settled = true
      if (timer) clearTimeout(timer)
      this.failInFlight.delete(fail)
      this.inFlight.delete(tracker)
      release()
      outcome()
      done()
      return true
    }
    const fail = (reason: string) =>
      settle(() => reject(new SmppSubmitError('timeout', `${reason} before submit_sm_resp; outcome unknown`)))
    this.failInFlight.add(fail)
    const pdu = newPdu('submit_sm', fields)
    const sent = session.send(pdu, (resp) => this.onSubmitResp(resp, part, settle, resolve, reject))
    if (!sent) {
      settle(() => reject(new SmppSubmitError('not_bound', 'the SMSC socket is not writable; nothing was sent')))
      return
    }
    timer = setTimeout(() => {
      if (fail(`no answer within ${this.opts.submitTimeoutMs} ms`)) {
        this.logger.warn({ sequence: pdu.sequence_number, part: part.index }, 'smpp: submit_sm timed out')
      }
    }, this.opts.submitTimeoutMs)
  }

  private onSubmitResp(
    resp: Pdu,
    part: EncodedPart,
    settle: (outcome: () => void) => boolean,
    resolve: (v: { messageId: string }) => void,
    reject: (e: Error) => void,
  ): void {
    const status = resp.command_status
    const messageId = asString(resp.message_id).trim()
    const applied = settle(() => {
      if (status === Status.ROK) {
        resolve({ messageId })
      } else if (throttledStatus(status)) {
        // Also slow down: the SMSC told us we are over its rate.
        this.scheduler.penalise(1_000)
        reject(new SmppSubmitError('throttled', `SMSC throttled the part (${hex(status)})`, status))
      } else {
        reject(new SmppSubmitError('rejected', `SMSC rejected the part (${hex(status)})`, status))
      }
    })
    if (!applied) {
      this.logger.warn(
        { messageId, status, sequence: resp.sequence_number },
        'smpp: submit_sm_resp arrived after its timeout; the part may be delivered under this id',
      )
    } else if (status === Status.ROK && !messageId) {
      this.logger.warn({ part: part.index }, 'smpp: SMSC accepted a part without a message id; receipts cannot match')
    }
  }

  private emitStatus(bound: boolean, reason?: string): void {
    const key = `${bound}|${reason ?? ''}`
    if (key === this.lastStatus) return
    this.lastStatus = key
    for (const listener of this.statusListeners) {
      try {
        listener(reason === undefined ? { bound } : { bound, reason })
      } catch (err) {
        this.logger.error({ err }, 'smpp: status listener threw')
      }
    }
  }

  private connect(): void {
    if (this.closing) return
    const { host, port, tls } = this.endpoint
    const socketOptions: Record<string, unknown> = { host, port, tls }
    if (tls) {
      socketOptions.rejectUnauthorized = this.opts.rejectUnauthorized !== false
      // SNI takes host names only (RFC 6066); an IP address is still checked against the certificate's IP SANs.
      const servername = this.opts.servername ?? (isIP(host) ? undefined : host)
      if (servername) socketOptions.servername = servername
      if (this.opts.ca) socketOptions.ca = this.opts.ca
    }
    const session = newSession(socketOptions)
    this.session = session
    let bindTimer: ReturnType<typeof setTimeout> | null = null
    session.on(tls ? 'secureConnect' : 'connect', () => {
      bindTimer = setTimeout(() => this.drop(session, 'bind_timeout'), this.opts.bindTimeoutMs)
      this.bind(session, () => {
        if (bindTimer) clearTimeout(bindTimer)
      })
    })
    session.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code ?? err.message
      this.logger.warn({ host, port, error: reason }, 'smpp: connection error')
      // Also after a PDU the package could not parse: the stream is out of step, only a new session helps.
      this.drop(session, reason)
    })
    session.on('close', () => {
      if (bindTimer) clearTimeout(bindTimer)
      this.onClosed(session, this.closeReasons.get(session) ?? 'connection_closed')
    })
    session.on('pdu', (pdu: Pdu) => this.onPdu(session, pdu))
  }

  private bind(session: SmppSession, bindAnswered: () => void): void {
    const pdu = newPdu('bind_transceiver', {
      system_id: this.endpoint.systemId,
      password: this.endpoint.password,
      system_type: this.endpoint.systemType,
      interface_version: 0x34,
    })
    session.send(pdu, (resp) => {
      bindAnswered()
      if (session !== this.session) return
      if (resp.command_status !== Status.ROK) {
        this.logger.warn({ host: this.endpoint.host, status: resp.command_status }, 'smpp: bind refused')
        this.drop(session, `bind_refused:${hex(resp.command_status)}`)
        return
      }
      this.isBound = true
      this.attempt = 0
      this.logger.info({ host: this.endpoint.host, systemId: this.endpoint.systemId }, 'smpp: bound as transceiver')
      this.emitStatus(true)
      this.scheduler.setOpen(true)
      this.startEnquireLink(session)
    })
  }

  private startEnquireLink(session: SmppSession): void {
    this.enquireTimer = setInterval(() => {
      const deadline = setTimeout(() => {
        this.logger.warn({ host: this.endpoint.host }, 'smpp: enquire_link unanswered; reconnecting')
        this.drop(session, 'enquire_link_timeout')
      }, this.opts.enquireLinkTimeoutMs)
      const sent = session.send(newPdu('enquire_link'), () => clearTimeout(deadline))
      if (!sent) clearTimeout(deadline)
    }, this.opts.enquireLinkMs)
  }

  private onPdu(session: SmppSession, pdu: Pdu): void {
    if (pdu.isResponse()) return // answered through the send callbacks
    switch (pdu.command) {
      case 'deliver_sm':
      case 'data_sm': // some SMSCs carry receipts and MO in data_sm (body in message_payload)
        this.incoming.handle(session, pdu)
        return
      case 'alert_notification': // has no response
        return
      case 'enquire_link':
        session.send(pdu.response())
        return
      case 'unbind':
        this.logger.info({ host: this.endpoint.host }, 'smpp: SMSC asked to unbind')
        this.closeReasons.set(session, 'unbound_by_smsc')
        this.markUnbound(session, 'unbound_by_smsc')
        session.send(pdu.response(), () => session.close())
        return
      default:
        session.send(newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: Status.RINVCMDID }))
    }
  }

  /** Ends a session for a reason that its 'close' then reports (the first reason given wins). */
  private drop(session: SmppSession, reason: string): void {
    if (!this.closeReasons.has(session)) this.closeReasons.set(session, reason)
    session.destroy()
  }

  private markUnbound(session: SmppSession, reason: string): void {
    if (session !== this.session) return
    const wasBound = this.isBound
    this.isBound = false
    this.scheduler.setOpen(false)
    if (this.enquireTimer) clearInterval(this.enquireTimer)
    this.enquireTimer = null
    this.incoming.reset()
    // Parts that never left are refused now; parts in flight have an unknown outcome.
    this.scheduler.dropAll(new SmppSubmitError('not_bound', `SMSC session lost (${reason}); nothing was sent`))
    for (const fail of [...this.failInFlight]) fail(`SMSC session lost (${reason})`)
    if (wasBound) this.logger.warn({ host: this.endpoint.host, reason }, 'smpp: session lost')
    this.emitStatus(false, reason)
  }

  private onClosed(session: SmppSession, reason: string): void {
    if (session !== this.session) return
    this.markUnbound(session, this.closing ? 'closed' : reason)
    this.session = null
    if (this.closing) return
    // Once per session that ended on its own or attempt that failed: a down SMSC keeps counting while we retry.
    for (const listener of this.failureListeners) {
      try {
        listener(reason)
      } catch (err) {
        this.logger.error({ err }, 'smpp: failure listener threw')
      }
    }
    const delay = backoffDelay(this.attempt++, this.opts.backoff, this.opts.random)
    this.logger.info({ host: this.endpoint.host, delayMs: delay, attempt: this.attempt }, 'smpp: rebinding')
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      this.connect()
    }, delay)
  }

  /** Stops sending, waits for parts in flight, unbinds and closes the socket. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.scheduler.dropAll(new SmppSubmitError('not_bound', 'the SMPP transport is closing; nothing was sent'))
    await Promise.allSettled([...this.inFlight])
    const session = this.session
    if (session) {
      // onClosed runs on 'close' and marks the transport unbound.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => session.destroy(), 2_000)
        session.once('close', () => {
          clearTimeout(force)
          resolve()
        })
        const sent = this.isBound && session.send(newPdu('unbind'), () => session.close())
        if (!sent) session.destroy()
      })
    }
    this.emitStatus(false, 'closed')
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
