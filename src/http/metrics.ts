import type { FastifyInstance } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { App } from '../app.ts'
import { FAILURE_OUTCOMES, RECEIPT_OUTCOMES, SUBMIT_OUTCOMES, smsQueueDepth } from '../sms/index.ts'
import { exposeMetrics } from './metrics-exposure.ts'

export function installMetrics(server: FastifyInstance, app: App): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'numguard_' })
  installSmsMetrics(registry, app)
  const duration = new Histogram({
    name: 'numguard_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const refusals = new Counter({
    name: 'numguard_refusals_total',
    help: 'Requests refused with a 4xx, by HTTP status',
    labelNames: ['status'],
    registers: [registry],
  })
  server.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    if (reply.statusCode >= 400 && reply.statusCode < 500) refusals.inc({ status: String(reply.statusCode) })
  })
  exposeMetrics(server, registry, app.config.http)
  return registry
}

/**
 * The SMSC link, read at scrape time: this process's bind state and counts (app.sms.health), and the send queue from
 * the database (two lookups on the lanes' partial indexes). Without an SMS link in this process the bind gauge is 0
 * and the counters stay 0.
 */
function installSmsMetrics(registry: Registry, app: App): void {
  new Gauge({
    name: 'numguard_smsc_bound',
    help: '1 while bound to the SMSC (SMPP transceiver), 0 otherwise',
    registers: [registry],
    collect() {
      this.set(app.sms?.health.state().bound ? 1 : 0)
    },
  })
  new Gauge({
    name: 'numguard_smsc_down_seconds',
    help: 'Seconds the SMPP bind has been down (0 while bound), on the app clock',
    registers: [registry],
    collect() {
      const since = app.sms?.health.state().downSince
      this.set(since ? Math.max(0, (app.clock.now().getTime() - since.getTime()) / 1000) : 0)
    },
  })
  const counter = (name: string, help: string, outcomes: readonly string[], read: () => Map<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: ['outcome'],
      registers: [registry],
      // Rebuilt from the link's counts at each scrape; every known outcome is present from 0 so rate() works at once.
      collect() {
        this.reset()
        const counts = read()
        for (const outcome of new Set([...outcomes, ...counts.keys()])) this.inc({ outcome }, counts.get(outcome) ?? 0)
      },
    })
  const none = new Map<string, number>()
  counter(
    'numguard_sms_submits_total',
    'SMS parts submitted to the SMSC by outcome (accepted, not_bound, timeout, rejected, throttled, error)',
    SUBMIT_OUTCOMES,
    () => app.sms?.health.submits ?? none,
  )
  counter(
    'numguard_sms_receipts_total',
    'Delivery receipts received from the SMSC by state (DELIVRD, UNDELIV, EXPIRED, …)',
    RECEIPT_OUTCOMES,
    () => app.sms?.health.receipts ?? none,
  )
  counter(
    'numguard_smsc_failures_total',
    'SMPP sessions lost and connection or bind attempts that failed, by cause',
    FAILURE_OUTCOMES,
    () => app.sms?.health.failures ?? none,
  )
  new Gauge({
    name: 'numguard_sms_parts_waiting',
    help: 'SMS parts handed to the SMPP client and waiting for its window or rate limit',
    registers: [registry],
    collect() {
      this.set(app.sms?.transport.queued ?? 0)
    },
  })
  // Both queue gauges are collected side by side in one scrape: they share one read of the database.
  type Lanes = Awaited<ReturnType<typeof smsQueueDepth>> | null
  let reading: Promise<Lanes> | null = null
  const readLanes = (): Promise<Lanes> => {
    reading ??= smsQueueDepth(app.db)
      .catch((err) => {
        // The database is away: /healthz says so; the queue series are left out rather than made up.
        app.logger.warn({ err }, 'metrics: could not read the SMS queue')
        return null
      })
      .finally(() => {
        reading = null
      })
    return reading
  }
  new Gauge({
    name: 'numguard_sms_notices_queued',
    help: 'SMS notices queued to be sent (due or waiting for the send window), by lane',
    labelNames: ['priority'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const lane of (await readLanes()) ?? []) this.set({ priority: lane.priority }, lane.queued)
    },
  })
  new Gauge({
    name: 'numguard_sms_oldest_unsent_seconds',
    help: 'How long the longest-waiting due notice of each lane has been due and unsent, in seconds (0: none)',
    labelNames: ['priority'],
    registers: [registry],
    async collect() {
      this.reset()
      const now = app.clock.now().getTime()
      for (const lane of (await readLanes()) ?? []) {
        const dueFor = lane.oldestNotBefore ? (now - lane.oldestNotBefore.getTime()) / 1000 : 0
        this.set({ priority: lane.priority }, Math.max(0, dueFor))
      }
    },
  })
}
