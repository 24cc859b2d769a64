import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, idParams, msisdnPattern } from '../platform/schemas.ts'
import { auditLogConfig, signerFor } from './log-service.ts'
import { erasePersonalData, revealPersonalData } from './personal-data.ts'
import { presentCheckpoint, presentConsistency, presentInclusion, presentLeaf, presentTimeline } from './presenters.ts'
import { checkpointFor, proveConsistencyBetween, proveLeafInclusion, timeline } from './proofs.ts'
import {
  checkpointsPage,
  exportCheckpointsPage,
  leafBytesRange,
  leavesRange,
  queueStatus,
  type TimelineFilter,
} from './queries.ts'
import { reconcileRoutes } from './reconcile-routes.ts'
import { runCommand } from './run-command.ts'
import { currentHead } from './tree-store.ts'

const view = { access: { auth: 'staff', permission: 'view_audit' } } as const
const personal = { access: { auth: 'staff', permission: 'manage_personal_data' } } as const
const tags = ['audit']
const size = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const
const uuid = { type: 'string', format: 'uuid' } as const
const ok = { 200: anyObject, ...errorResponses }
const MAX_LEAVES = 1_000
const MAX_EXPORT_LEAVES = 1_000_000
const EXPORT_CHUNK = 5_000

export async function auditRoutes(server: FastifyInstance, app: App) {
  await reconcileRoutes(server, app)
  server.get(
    '/api/v1/audit/public-key',
    {
      config: { access: { auth: 'public' } },
      schema: { tags, summary: "The log's verifier key, origin and witness keys (publish them)", response: ok },
    },
    async () => {
      const config = auditLogConfig(app)
      const signer = signerFor(app)
      return { origin: signer.origin, vkey: signer.vkey, witnesses: config.witnesses.map((w) => w.vkey) }
    },
  )

  server.get<{ Querystring: { format?: 'json' | 'note' } }>(
    '/api/v1/audit/checkpoint',
    {
      config: view,
      schema: {
        tags,
        summary: 'The latest signed checkpoint with its witness cosignatures (JSON, or the note text with format=note)',
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['json', 'note'] } },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const cp = await checkpointFor(app.db)
      if (request.query.format === 'note') return reply.type('text/plain; charset=utf-8').send(cp.note)
      return presentCheckpoint(cp)
    },
  )

  server.get<{ Querystring: { after: number; up_to?: number; limit: number; selection: 'all' | 'export' } }>(
    '/api/v1/audit/checkpoints',
    {
      config: view,
      schema: {
        tags,
        summary:
          'Signed checkpoints in ascending size after `after` (paging), up to `up_to`; `selection=export`: only ' +
          'those an export carries (every cosigned one, the last of each UTC day, the latest)',
        querystring: {
          type: 'object',
          properties: {
            after: { ...size, default: 0 },
            up_to: size,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
            selection: { type: 'string', enum: ['all', 'export'], default: 'all' },
          },
          additionalProperties: false,
        },
        response: ok,
      },
    },
    async (request) => {
      const q = request.query
      const page = q.selection === 'export' ? exportCheckpointsPage : checkpointsPage
      const items = await page(app.db, q.after, q.up_to ?? Number.MAX_SAFE_INTEGER, q.limit)
      return { items: items.map(presentCheckpoint) }
    },
  )

  server.get(
    '/api/v1/audit/status',
    { config: view, schema: { tags, summary: 'Tree size, queue length and witnesses', response: ok } },
    async () => {
      const [head, queue, witnesses] = await Promise.all([
        currentHead(app.db),
        queueStatus(app.db),
        app.db.selectFrom('log_witnesses').selectAll().orderBy('url').execute(),
      ])
      const latest = await checkpointFor(app.db).catch(() => undefined)
      return {
        size: head.size,
        root_hash: head.root.toString('base64'),
        queued: queue.queued,
        oldest_queued_at: queue.oldest?.toISOString() ?? null,
        checkpoint: latest ? { size: latest.size, signed_at: latest.signed_at.toISOString() } : null,
        witnesses: witnesses.map((w) => ({
          url: w.url,
          name: w.name,
          accepted_size: w.accepted_size === null ? null : Number(w.accepted_size),
          failing_since: w.failing_since ? new Date(w.failing_since).toISOString() : null,
          last_error: w.last_error,
        })),
      }
    },
  )

  server.get<{ Querystring: { index?: number; event_id?: string; size?: number } }>(
    '/api/v1/audit/proofs/inclusion',
    {
      config: view,
      schema: {
        tags,
        summary: 'Inclusion proof of a leaf (by index or event_id) in a signed checkpoint (default: the latest)',
        querystring: {
          type: 'object',
          properties: { index: size, event_id: uuid, size: { ...size, minimum: 1 } },
          additionalProperties: false,
        },
        response: ok,
      },
    },
    async (request) => {
      const q = request.query
      if (q.index === undefined && q.event_id === undefined)
        throw new ValidationError('index', 'give the leaf index or its event_id')
      return presentInclusion(await proveLeafInclusion(app.db, { index: q.index, eventId: q.event_id }, q.size))
    },
  )

  server.get<{ Querystring: { from?: number; to?: number } }>(
    '/api/v1/audit/proofs/consistency',
    {
      config: view,
      schema: {
        tags,
        summary: 'Consistency proof from tree size `from` to `to` (default: the latest checkpoint)',
        querystring: {
          type: 'object',
          properties: { from: { ...size, minimum: 1 }, to: { ...size, minimum: 1 } },
          additionalProperties: false,
        },
        response: ok,
      },
    },
    async (request) => {
      const { from, to } = request.query
      if (from === undefined) throw new ValidationError('from', 'give the older tree size as from')
      return presentConsistency(await proveConsistencyBetween(app.db, from, to))
    },
  )

  server.get<{ Querystring: { start?: number; end?: number } }>(
    '/api/v1/audit/leaves',
    {
      config: view,
      schema: {
        tags,
        summary: `Leaves [start, end), at most ${MAX_LEAVES}: exact bytes (base64) and parsed`,
        querystring: { type: 'object', properties: { start: size, end: size }, additionalProperties: false },
        response: ok,
      },
    },
    async (request) => {
      const { start, end } = leafRange(request.query, MAX_LEAVES)
      return { start, end, items: (await leavesRange(app.db, start, end)).map(presentLeaf) }
    },
  )

  server.get<{ Querystring: { start?: number; end?: number } }>(
    '/api/v1/audit/export/leaves',
    {
      config: view,
      schema: {
        tags,
        summary: `Leaves [start, end) as the bundle stores them: one canonical JSON per line (at most ${MAX_EXPORT_LEAVES.toLocaleString('en')})`,
        querystring: { type: 'object', properties: { start: size, end: size }, additionalProperties: false },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const head = await currentHead(app.db)
      // Without an end, the export runs to the head (at most the per-request limit).
      const { start, end } = leafRange(
        {
          ...request.query,
          end: request.query.end ?? Math.min(head.size, (request.query.start ?? 0) + MAX_EXPORT_LEAVES),
        },
        MAX_EXPORT_LEAVES,
      )
      if (end > head.size) throw new ValidationError('end', `the tree has ${head.size} leaves; end must not exceed it`)
      const db = app.db
      async function* lines() {
        for (let from = start; from < end; from += EXPORT_CHUNK) {
          const rows = await leafBytesRange(db, from, Math.min(end, from + EXPORT_CHUNK))
          yield Buffer.concat(rows.flatMap((r) => [Buffer.from(r.leaf), NEWLINE]))
        }
      }
      return reply.type('application/x-ndjson').send(Readable.from(lines()))
    },
  )

  server.get<{
    Querystring: {
      msisdn?: string
      staff_id?: string
      session_id?: string
      request_id?: string
      from: number
      limit: number
    }
  }>(
    '/api/v1/audit/timeline',
    {
      config: view,
      schema: {
        tags,
        summary: 'The leaves of a number, staff member, session or request, oldest first, with inclusion proofs',
        querystring: {
          type: 'object',
          properties: {
            msisdn: { type: 'string', pattern: msisdnPattern },
            staff_id: uuid,
            session_id: uuid,
            request_id: uuid,
            from: { ...size, default: 0, description: 'first leaf index to consider (paging)' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 200 },
          },
          additionalProperties: false,
        },
        response: ok,
      },
    },
    async (request) => {
      const q = request.query
      const filters: TimelineFilter[] = []
      if (q.msisdn) filters.push({ by: 'msisdn', value: normaliseMsisdnInput(q.msisdn, app.config.country) })
      if (q.staff_id) filters.push({ by: 'staff_id', value: q.staff_id })
      if (q.session_id) filters.push({ by: 'session_id', value: q.session_id })
      if (q.request_id) filters.push({ by: 'request_id', value: q.request_id })
      if (filters.length !== 1)
        throw new ValidationError('msisdn', 'give exactly one of msisdn, staff_id, session_id or request_id')
      const t = await timeline(app.db, filters[0], { from: q.from, limit: q.limit })
      const items = presentTimeline(t)
      const last = t.entries.at(-1)
      return { ...items, next_from: t.entries.length === q.limit && last ? Number(last.leaf.index) + 1 : null }
    },
  )

  server.get<{ Params: { id: string } }>(
    '/api/v1/audit/personal-data/:id',
    {
      config: personal,
      schema: {
        tags,
        summary: 'The personal data a leaf (by event id) commits to, with salts, while kept (compliance only)',
        params: idParams,
        response: ok,
      },
    },
    async (request) => ({ items: await revealPersonalData(app.db, request.params.id) }),
  )

  server.post<{ Body: { before: string } }>(
    '/api/v1/audit/personal-data/erase',
    {
      config: personal,
      schema: {
        tags,
        summary: 'Erase personal data recorded before a date past its retention (the leaves keep their commitments)',
        body: {
          type: 'object',
          properties: { before: { type: 'string', format: 'date-time' } },
          required: ['before'],
          additionalProperties: false,
        },
        response: ok,
      },
    },
    async (request) => {
      const before = new Date(request.body.before)
      if (Number.isNaN(before.getTime())) throw new ValidationError('before', 'before must be a date-time')
      return runCommand(app.deps, actorOf(request), (ctx) =>
        erasePersonalData(ctx, { before }, auditLogConfig(app).personalRetentionDays),
      )
    },
  )
}

const NEWLINE = Buffer.from('\n')

function leafRange(q: { start?: number; end?: number }, max: number): { start: number; end: number } {
  const start = q.start ?? 0
  const end = q.end ?? start + Math.min(max, 100)
  if (end < start) throw new ValidationError('end', 'end must not be smaller than start')
  if (end - start > max) throw new ValidationError('end', `at most ${max.toLocaleString('en')} leaves per request`)
  return { start, end }
}
