import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { NotFoundError } from '../domain/errors.ts'
import { defaultMarket, parseMarket } from '../domain/markets.ts'
import { parseRange } from '../domain/msisdn.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, limitQuery } from '../platform/schemas.ts'
import { presentSimBinding } from './presenters.ts'
import { listRanges, listShops } from './queries.ts'
import { type Category, importRange } from './ranges.ts'
import { simInView } from './sim-in-view.ts'
import { allocateSims, importSims, listSimsInView } from './sims.ts'

const tags = ['inventory']
const view = { access: { auth: 'staff', permission: 'view_numbers' } } as const

export async function stockRoutes(server: FastifyInstance, app: App) {
  server.get('/api/v1/ranges', { config: view, schema: { tags, summary: 'Imported number ranges' } }, async () => ({
    items: (await listRanges(app.db)).map((r) => ({
      id: r.id,
      first: r.first_msisdn,
      last: r.last_msisdn,
      size: r.size,
      category: r.category,
      market: r.market,
      input_sha256: r.input_sha256,
      imported_at: r.imported_at,
    })),
  }))

  server.post<{ Body: { first: string; last: string; category?: Category; market?: string } }>(
    '/api/v1/ranges',
    {
      config: { access: { auth: 'staff', permission: 'import_ranges' } },
      schema: {
        tags,
        summary: 'Import a range of mobile numbers (send Accept: application/x-ndjson to receive progress lines)',
        body: {
          type: 'object',
          properties: {
            first: { type: 'string', maxLength: 20 },
            last: { type: 'string', maxLength: 20 },
            category: { type: 'string', enum: ['standard', 'golden'], default: 'standard' },
            // The range's market (its numbers must be of that country); the operator's country when left out.
            market: { type: 'string', maxLength: 2 },
          },
          required: ['first', 'last'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const market = parseMarket(request.body.market ?? defaultMarket(app.config.country))
      const range = parseRange(request.body.first, request.body.last, market)
      const category = request.body.category ?? 'standard'
      if (!request.headers.accept?.includes('application/x-ndjson')) {
        return runCommand(app.deps, actorOf(request), (ctx) => importRange(ctx, range, category))
      }
      // Progress as NDJSON lines, then the result (or the error) as the last line.
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' })
      const line = (o: unknown) => reply.raw.write(`${JSON.stringify(o)}\n`)
      try {
        const result = await runCommand(app.deps, actorOf(request), (ctx) =>
          importRange(ctx, range, category, (done, total) => line({ progress: { done, total } })),
        )
        line({ result })
      } catch (err) {
        const e = err as { code?: string; message?: string; details?: unknown; status?: number }
        line({
          error: {
            code: e.status ? e.code : 'internal_error',
            message: e.status ? e.message : 'import failed',
            details: e.details ?? {},
          },
        })
        if (!e.status) request.log.error({ err }, 'range import failed')
      }
      reply.raw.end()
    },
  )

  server.get<{ Querystring: { shop_id?: string; state?: string; limit: number } }>(
    '/api/v1/sims',
    {
      config: view,
      schema: {
        tags,
        summary: 'SIM stock',
        description:
          'A SIM that serves or served a number is its holder’s account (invariant 10): an agent lists the unused ' +
          'SIMs allocated to their shop and the SIMs of holders they authenticated in a customer session, nothing ' +
          'else. Inventory managers, supervisors, compliance officers and auditors list all stock.',
        querystring: {
          type: 'object',
          properties: {
            shop_id: { type: 'string', maxLength: 40 },
            state: { type: 'string', enum: ['in_stock', 'allocated', 'bound', 'deactivated', 'lost_stolen'] },
            limit: limitQuery,
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => ({
      items: await listSimsInView(
        app.db,
        request.actor,
        { shopId: request.query.shop_id, state: request.query.state, limit: request.query.limit },
        app.clock.now(),
      ),
    }),
  )

  server.get<{ Params: { iccid: string } }>(
    '/api/v1/sims/:iccid',
    {
      config: view,
      schema: {
        tags,
        summary: 'A SIM with the numbers it served',
        description:
          'A SIM that serves or served a number is the account’s (invariant 10): an agent sees it only inside a ' +
          'customer session for that custody’s holder (404 otherwise, as for a SIM that does not exist), or while ' +
          'it is an unused SIM of their shop. An inventory manager sees every SIM but never the numbers served; a ' +
          'binding outside the caller’s view says only `withheld: true` (no number, no start). Supervisors, ' +
          'compliance officers and auditors see every binding.',
        params: {
          type: 'object',
          properties: { iccid: { type: 'string', pattern: '^89[0-9]{16,18}$' } },
          required: ['iccid'],
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const found = await simInView(app.db, request.actor, request.params.iccid, app.clock.now())
      if (!found) throw new NotFoundError('SIM', request.params.iccid)
      const { sim, bindings, seen } = found
      return {
        iccid: sim.iccid,
        imsi: sim.imsi,
        state: sim.state,
        shop_id: sim.shop_id,
        bindings: bindings.map((b) => presentSimBinding(b, seen.has(b.subscriber_id))),
      }
    },
  )

  server.post<{ Body: { csv: string } }>(
    '/api/v1/sims/import',
    {
      config: { access: { auth: 'staff', permission: 'import_sims' } },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Import SIM stock from CSV lines `iccid,imsi` (all or nothing)',
        body: {
          type: 'object',
          properties: { csv: { type: 'string', minLength: 1 } },
          required: ['csv'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => runCommand(app.deps, actorOf(request), (ctx) => importSims(ctx, request.body.csv)),
  )

  server.post<{ Body: { shop_id: string; count: number } }>(
    '/api/v1/sims/allocate',
    {
      config: { access: { auth: 'staff', permission: 'allocate_sims' } },
      schema: {
        tags,
        summary: 'Allocate SIMs from the warehouse to a shop',
        body: {
          type: 'object',
          properties: {
            shop_id: { type: 'string', maxLength: 40 },
            count: { type: 'integer', minimum: 1, maximum: 100000 },
          },
          required: ['shop_id', 'count'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) => allocateSims(ctx, request.body.shop_id, request.body.count)),
  )

  server.get(
    '/api/v1/shops',
    { config: { access: { auth: 'staff' } }, schema: { tags, summary: 'Shops' } },
    async () => ({
      items: await listShops(app.db),
    }),
  )
}
