// The SMSC's health as an operator sees it, against a real embedded simulator that is stopped and started again on
// the same port: /metrics (bind gauge, submits, receipts and failures by outcome, queue depth, oldest unsent), the
// smsc check of /healthz, and the smsc_bind_down alert on the app clock. No sleeps: every step awaits an event.
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { queueTestNotice } from '../../test/helpers/sms.ts'
import { runSmsWork } from './recovery.ts'
import { sendDueNotices } from './sender.ts'
import { type SmscSimulator, startSmscSimulator } from './simulator/index.ts'
import { createSmppTransport } from './smpp/client.ts'
import { untilBound, waitForEvent, waitForStatus } from './smpp/test-support.ts'
import { failureOutcome } from './smsc-health.ts'
import type { SmsTransport } from './transport.ts'

const THRESHOLD_S = 120
let t: TestApp
let sim: SmscSimulator
let transport: SmsTransport

beforeAll(async () => {
  sim = await startSmscSimulator({ port: 0 })
  transport = createSmppTransport(sim.url, { backoff: { initialMs: 5, maxMs: 40 } }, pino({ level: 'silent' }))
  t = await openTestApp(
    { sms: { sourceAddr: 'numguard', sendIntervalMs: 2000, downAlertSeconds: THRESHOLD_S } },
    { sms: { transport } },
  )
  await untilBound(transport)
})
afterAll(async () => {
  await t.close()
  await sim.close()
})

/** The value of one series in the Prometheus text, or undefined when the series is absent. */
async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await t.server.inject({ method: 'GET', url: '/metrics' })
  expect(res.statusCode).toBe(200)
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of res.body.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = m[2] ? m[2].split(',') : []
    if (wanted.length === have.length && wanted.every((w) => have.includes(w))) return Number(m[3])
  }
  return undefined
}

async function health() {
  const res = await t.server.inject({ method: 'GET', url: '/healthz' })
  return { code: res.statusCode, body: res.json() }
}

async function bindDownAlerts() {
  return t.app.db.selectFrom('alerts').select(['severity', 'attempt']).where('kind', '=', 'smsc_bind_down').execute()
}

/** Stops the simulator and resolves once the transport is unbound and a reconnection was refused. */
async function stopSmsc(): Promise<void> {
  const unbound = waitForStatus(transport, (s) => !s.bound)
  const refused = new Promise<void>((resolve) =>
    transport.onFailure?.((reason) => failureOutcome(reason) === 'connection_refused' && resolve()),
  )
  await sim.close()
  await unbound
  await refused
}

async function startSmsc(): Promise<void> {
  sim = await startSmscSimulator({ port: sim.port })
  await untilBound(transport)
}

describe('SMSC health', () => {
  it('shows the bind, the submits and the receipts while the SMSC is up', async () => {
    expect(await metric('numguard_smsc_bound')).toBe(1)
    expect(await metric('numguard_smsc_failures_total', { outcome: 'connection_refused' })).toBe(0)
    expect((await health()).body).toMatchObject({
      status: 'ok',
      checks: { database: { ok: true }, smsc: { ok: true, linked: true, bound: true, down_since: null } },
    })
    const acked = waitForEvent(sim, 'receipt_acked', (e) => e.status === 0, 2) // the English warning has 2 parts
    await queueTestNotice(t.app)
    expect(await sendDueNotices(t.app, transport)).toMatchObject({ submitted: 1, partsSubmitted: 2 })
    await acked
    expect(await metric('numguard_sms_submits_total', { outcome: 'accepted' })).toBe(2)
    expect(await metric('numguard_sms_receipts_total', { outcome: 'DELIVRD' })).toBe(2)
    expect(await metric('numguard_sms_notices_queued', { priority: 'bulk' })).toBe(0)
    expect(await metric('numguard_sms_oldest_unsent_seconds', { priority: 'bulk' })).toBe(0)
  })

  it('shows the SMSC going down, alerts once past the configured time, and shows it coming back', async () => {
    const downAt = t.clock.now()
    await stopSmsc()
    expect(await metric('numguard_smsc_bound')).toBe(0)
    expect(await metric('numguard_smsc_failures_total', { outcome: 'connection_refused' })).toBeGreaterThanOrEqual(1)
    const { code, body } = await health()
    expect(code).toBe(200) // degraded, not unavailable: a load balancer keeps this instance
    expect(body).toMatchObject({
      status: 'degraded',
      checks: {
        database: { ok: true },
        smsc: { ok: false, linked: true, bound: false, down_since: downAt.toISOString() },
        audit_signer: { ok: true },
      },
    })

    // A notice queued meanwhile waits; its wait shows in the queue gauges.
    await queueTestNotice(t.app)
    t.clock.advance(THRESHOLD_S * 1000 - 1000)
    expect(await metric('numguard_sms_notices_queued', { priority: 'bulk' })).toBe(1)
    expect(await metric('numguard_sms_oldest_unsent_seconds', { priority: 'bulk' })).toBe(THRESHOLD_S - 1)
    expect(await metric('numguard_smsc_down_seconds')).toBe(THRESHOLD_S - 1)

    // Not yet past the threshold: no alert. Then past it: one, and only one however many passes run.
    expect(await runSmsWork(t.app)).toMatchObject({ sent: 0, bindDownAlerts: 0 })
    expect(await bindDownAlerts()).toHaveLength(0)
    t.clock.advance(2000)
    expect(await runSmsWork(t.app)).toMatchObject({ bindDownAlerts: 1 })
    t.clock.advance(600_000)
    expect(await runSmsWork(t.app)).toMatchObject({ bindDownAlerts: 0 })
    const alerts = await bindDownAlerts()
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({
      severity: 'risk',
      attempt: { down_since: downAt.toISOString(), threshold_seconds: THRESHOLD_S, down_seconds: THRESHOLD_S + 1 },
    })

    await startSmsc()
    expect(await metric('numguard_smsc_bound')).toBe(1)
    expect(await metric('numguard_smsc_down_seconds')).toBe(0)
    expect((await health()).body).toMatchObject({ status: 'ok', checks: { smsc: { ok: true, down_since: null } } })
    expect(await runSmsWork(t.app)).toMatchObject({ sent: 1, bindDownAlerts: 0 })
    expect(await metric('numguard_sms_submits_total', { outcome: 'accepted' })).toBe(4)
    expect(await metric('numguard_sms_notices_queued', { priority: 'bulk' })).toBe(0)
  })

  it('alerts again for a later outage', async () => {
    await stopSmsc()
    t.clock.advance(THRESHOLD_S * 1000 + 1000)
    expect(await runSmsWork(t.app)).toMatchObject({ bindDownAlerts: 1 })
    expect(await bindDownAlerts()).toHaveLength(2)
    await startSmsc()
  })

  it('counts a submit the SMSC refuses by its outcome', async () => {
    sim.setBehaviour({ rejectSubmitsWith: 0x0b }) // invalid destination address
    await queueTestNotice(t.app, { template: 'notice', params: { text: 'One part' } })
    const before = (await metric('numguard_sms_submits_total', { outcome: 'rejected' })) ?? 0
    await sendDueNotices(t.app, transport)
    expect(await metric('numguard_sms_submits_total', { outcome: 'rejected' })).toBe(before + 1)
    sim.setBehaviour({ rejectSubmitsWith: null })
  })
})

describe('failureOutcome', () => {
  it('maps transport reasons to a few stable label values', () => {
    expect(failureOutcome('ECONNREFUSED')).toBe('connection_refused')
    expect(failureOutcome('connection_closed')).toBe('connection_lost')
    expect(failureOutcome('bind_refused:0x0d')).toBe('bind_refused')
    expect(failureOutcome('enquire_link_timeout')).toBe('enquire_link_timeout')
    expect(failureOutcome('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('tls')
    expect(failureOutcome('something new')).toBe('other')
  })
})
