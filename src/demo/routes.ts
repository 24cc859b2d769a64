import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { parseDuration } from '../domain/clock.ts'
import { ConflictError, ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf } from '../platform/route-access.ts'
import { errorResponses, msisdnParams, msisdnPattern } from '../platform/schemas.ts'
import { operatorTimeZone } from '../reports/index.ts'
import { advanceDemoClock } from './clock.ts'
import { liveDemoDay, walkStops } from './walk.ts'

export const VERSION = '0.1.0'

export async function metaRoutes(server: FastifyInstance, app: App) {
  server.get(
    '/api/v1/meta',
    { config: { access: { auth: 'public' } }, schema: { tags: ['system'], summary: 'Mode, clock and version' } },
    async () => ({
      mode: app.config.mode,
      now: app.clock.now(),
      clock_movable: Boolean(app.movableClock),
      database: app.database.kind,
      version: VERSION,
    }),
  )

  // Demo-only: never registered in production, so there it is a 404 like any unknown route.
  if (!app.movableClock) return
  server.post<{ Body: { by: string } }>(
    '/api/v1/demo/clock/advance',
    {
      config: { access: { auth: 'staff', permission: 'advance_clock' } },
      schema: {
        tags: ['demo'],
        summary: 'Move the demo clock forward (e.g. "30d", "12h"), living each day in turn',
        description:
          'The clock walks a day at a time: each day the simulated charging system tops up its regular holders, ' +
          'the worker does what is due (warnings, suspensions, withdrawals, aging) and the SMS go out with their ' +
          'receipts before the next day.',
        body: {
          type: 'object',
          properties: { by: { type: 'string', maxLength: 12 } },
          required: ['by'],
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const ms = parseDuration(request.body.by)
      if (!ms || ms > 400 * 86_400_000)
        throw new ValidationError('by', 'by must be a duration such as 30d, 12h, 45m (at most 400d)')
      const walk: Record<string, number> = { topups: 0 }
      const from = app.clock.now()
      const timeZone = await operatorTimeZone(app.db, from)
      const moved = await advanceDemoClock(app, actorOf(request), ms, {
        stops: walkStops(from, new Date(from.getTime() + ms), timeZone),
        onStep: async () => {
          const day = await liveDemoDay(app)
          walk.topups += day.topups
          for (const [k, v] of Object.entries(day.done)) walk[k] = (walk[k] ?? 0) + v
        },
      })
      return { ...moved, walk }
    },
  )

  const simulator = () => {
    const smsc = app.sms?.smsc
    if (!smsc)
      throw new ConflictError('no_simulator', 'The embedded SMSC is not running here (SMPP_URL names a real SMSC)')
    return smsc
  }

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/demo/sms/inbox/:msisdn',
    {
      config: { access: { auth: 'staff', permission: 'demo_phone' } },
      schema: {
        tags: ['demo'],
        summary: 'What this phone received from the embedded SMSC, oldest first',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const messages = simulator()
        .inbox(msisdn)
        .map((m) => ({
          from: m.from,
          text: m.text,
          parts: m.parts,
          data_coding: m.dataCoding,
          received_at: m.receivedAt,
        }))
      return { msisdn, short_code: app.sms?.sourceAddr ?? null, messages }
    },
  )

  server.post<{ Body: { from: string; text: string } }>(
    '/api/v1/demo/sms/reply',
    {
      config: { access: { auth: 'staff', permission: 'demo_phone' } },
      schema: {
        tags: ['demo'],
        summary: 'The phone replies to numguard (an MO message injected through the embedded SMSC)',
        body: {
          type: 'object',
          properties: {
            from: { type: 'string', pattern: msisdnPattern },
            text: { type: 'string', minLength: 1, maxLength: 320 },
          },
          required: ['from', 'text'],
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const smsc = simulator()
      const from = normaliseMsisdnInput(request.body.from, app.config.country)
      const to = app.sms?.sourceAddr ?? 'numguard'
      try {
        await smsc.injectMo(from, to, request.body.text)
      } catch (err) {
        throw new ConflictError('mo_not_accepted', `The SMSC could not deliver the reply: ${(err as Error).message}`)
      }
      return { sent: true, from, to, text: request.body.text }
    },
  )
}
