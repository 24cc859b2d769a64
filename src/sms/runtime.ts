// Connecting numguard to its SMSC: the SMPP transport named by SMPP_URL, or (demo and tests only) the embedded
// simulator; receipts and MO messages are recorded as they arrive; a small loop sends due notices often, so a
// one-time code never waits for the worker's longer sweep.
import type { App } from '../app.ts'
import { loadSmsConfig } from './config.ts'
import { recordMo } from './mo.ts'
import { recordReceipt } from './receipts.ts'
import { recoverInterruptedSends } from './recovery.ts'
import { sendDueNotices } from './sender.ts'
import type { SmscSimulator } from './simulator/index.ts'
import { SmscHealth } from './smsc-health.ts'
import type { SmsTransport } from './transport.ts'

/** What the rest of numguard sees of the SMS side (`app.sms`). */
export interface SmsLink {
  transport: SmsTransport
  /** The sender id phones show. */
  sourceAddr: string
  /** The embedded SMSC simulator, when numguard runs without SMPP_URL (demo, tests): its inboxes and MO injection. */
  smsc?: SmscSimulator
  /** Bind state, outage start and submit/receipt/failure counts: read by /healthz, /metrics and the worker's alert. */
  health: SmscHealth
}

export interface StartSmsOptions {
  /** A transport of the caller's (tests: a fake). Otherwise SMPP_URL's, or the embedded simulator's. */
  transport?: SmsTransport
  /** Run the frequent send loop (servers and workers; default true). Tests call sendDueNotices themselves. */
  sendLoop?: boolean
}

export interface RunningSms {
  link: SmsLink
  close(): Promise<void>
}

/** Starts the SMS side and sets `app.sms`. Production never gets here without SMPP_URL (config refuses it). */
export async function startSms(app: App, options: StartSmsOptions = {}): Promise<RunningSms> {
  const config = app.config.sms ?? loadSmsConfig({})
  let smsc: SmscSimulator | undefined
  let transport = options.transport
  if (!transport) {
    if (!config.smppUrl && app.config.mode === 'production')
      throw new Error('SMPP_URL is required in production: the embedded SMSC simulator is for demo and tests only')
    // Loaded only when used: a CLI command or a test with its own transport never loads the SMPP stack.
    if (!config.smppUrl) smsc = await (await import('./simulator/index.ts')).startSmscSimulator({ clock: app.clock })
    const url = config.smppUrl ?? (smsc as SmscSimulator).url
    const { createSmppTransport } = await import('./smpp/client.ts')
    transport = createSmppTransport(
      url,
      { window: config.window, ratePerSecond: config.ratePerSecond, clock: app.clock },
      app.logger.child({ component: 'smpp' }),
    )
  }
  const health = new SmscHealth(app.clock, transport.bound)
  transport.onReceipt(async (r) => {
    health.receipt(r.state)
    await recordReceipt(app, r)
  })
  transport.onMo(async (m) => {
    await recordMo(app, m)
  })
  transport.onFailure?.((reason) => health.failure(reason))
  transport.onStatus((s) => {
    health.status(s)
    if (s.bound) app.logger.info('sms: bound to the SMSC')
    else app.logger.warn({ reason: s.reason }, 'sms: not bound to the SMSC; notices wait')
  })
  const link: SmsLink = { transport, sourceAddr: config.sourceAddr, smsc, health }
  app.sms = link

  // A sender that died mid-send left parts in doubt: settle them before anything new goes out.
  await recoverInterruptedSends(app).catch((err) => app.logger.error({ err }, 'sms: recovery failed'))
  const loop = options.sendLoop === false ? undefined : startSendLoop(app, link, config.sendIntervalMs)
  return {
    link,
    close: async () => {
      await loop?.stop()
      await transport.close()
      await smsc?.close()
      if (app.sms === link) app.sms = undefined
    },
  }
}

function startSendLoop(app: App, link: SmsLink, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve()
  let busy = false
  let stopped = false
  const tick = () => {
    if (busy || stopped || !link.transport.bound) return
    busy = true
    running = sendDueNotices(app, link.transport, { limit: 100 })
      .catch((err) => app.logger.error({ err }, 'sms: send pass failed'))
      .finally(() => {
        busy = false
      })
  }
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return {
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}

/** Resolves once the transport is bound (or rejects after `timeoutMs`): for start-up banners and tests. */
export function whenBound(transport: SmsTransport, timeoutMs = 10_000): Promise<void> {
  if (transport.bound) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the SMSC did not bind within ${timeoutMs} ms`)), timeoutMs)
    transport.onStatus((s) => {
      if (s.bound) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}
