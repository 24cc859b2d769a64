import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { NotFoundError } from '../domain/errors.ts'
import { actorOf } from '../platform/route-access.ts'
import { errorResponses } from '../platform/schemas.ts'
import {
  type DisconnectionReport,
  findReport,
  generateDisconnectionReport,
  operatorTimeZone,
  registerSummary,
  reportPeriod,
} from './disconnections.ts'
import { incidentReport } from './incident.ts'
import { incidentDocument } from './incident-pdf.ts'
import { monthlyCsv, monthlyReport, previousMonth } from './monthly.ts'
import { monthlyDocument } from './monthly-pdf.ts'
import { renderPdf } from './pdf.ts'

const tags = ['reports']
const monthSchema = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' } as const

function present(r: DisconnectionReport, created: boolean) {
  return {
    month: r.month,
    cutoff_on: r.cutoff_on,
    file_name: r.file_name,
    file_sha256: r.file_sha256,
    disconnections: r.disconnections,
    cancellations: r.cancellations,
    generated_at: r.generated_at,
    generated_by: r.generated_by,
    created,
    content: r.content,
  }
}

export async function reportRoutes(server: FastifyInstance, app: App) {
  server.get<{ Querystring: { month?: string } }>(
    '/api/v1/reports/disconnections',
    {
      config: { access: { auth: 'staff', permission: 'view_reports' } },
      schema: {
        tags,
        summary: 'The monthly permanent-disconnection files (RND convention); with `month`, that file and its CSV',
        querystring: {
          type: 'object',
          properties: { month: monthSchema },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const { month } = request.query
      if (!month) return registerSummary(app.db)
      const report = await findReport(app.db, reportPeriod(month).month)
      if (!report) throw new NotFoundError('disconnection report', month)
      return present(report, false)
    },
  )

  server.post<{ Body: { month: string } }>(
    '/api/v1/reports/disconnections',
    {
      config: { access: { auth: 'staff', permission: 'generate_reports' } },
      schema: {
        tags,
        summary: 'Write the file for a month (once the 10th has ended); a re-run returns the same file',
        body: {
          type: 'object',
          properties: { month: monthSchema },
          required: ['month'],
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const now = app.clock.now()
      const timeZone = await operatorTimeZone(app.db, now)
      let created = false
      const report = await runCommand(app.deps, actorOf(request), async (ctx) => {
        const out = await generateDisconnectionReport(ctx, request.body.month, timeZone)
        created = out.receipts.length > 0
        return out
      })
      return present(report, created)
    },
  )

  server.get<{ Querystring: { month?: string; format?: 'json' | 'csv' | 'pdf' } }>(
    '/api/v1/reports/monthly',
    {
      config: { access: { auth: 'staff', permission: 'view_reports' } },
      schema: {
        tags,
        summary:
          "The regulator's monthly report: the month's counts from the audit leaves, partner checks, and the signed checkpoint covering the leaf range (JSON, CSV, or PDF with English and Khmer labels); without `month`, last month's",
        querystring: {
          type: 'object',
          properties: { month: monthSchema, format: { type: 'string', enum: ['json', 'csv', 'pdf'], default: 'json' } },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const now = app.clock.now()
      const timeZone = await operatorTimeZone(app.db, now)
      const month = request.query.month ?? previousMonth(now, timeZone)
      const report = await monthlyReport(app.db, month, timeZone, now)
      if (request.query.format === 'pdf') {
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="numguard-monthly-${report.month}.pdf"`)
          .send(await renderPdf(monthlyDocument(report), now))
      }
      if (request.query.format !== 'csv') return report
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="numguard-monthly-${report.month}.csv"`)
        .send(monthlyCsv(report))
    },
  )

  server.get<{ Params: { id: string }; Querystring: { format?: 'json' | 'pdf' } }>(
    '/api/v1/reports/incident/:id',
    {
      config: { access: { auth: 'staff', permission: 'view_reports' } },
      schema: {
        tags,
        summary:
          "The regulator's account of one case (id or reference): summary, SLA figures, numbers, their history from the audit log with each inclusion proof checked, holds, restoration, compensation offers, findings, measures and the signed checkpoint (JSON, or PDF with English and Khmer labels)",
        params: {
          type: 'object',
          properties: {
            id: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              pattern: '^[A-Za-z0-9-]+$',
              description: 'the case id or reference',
            },
          },
          required: ['id'],
        },
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['json', 'pdf'], default: 'json' } },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const report = await incidentReport(app, request.params.id)
      if (request.query.format !== 'pdf') return report
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="numguard-incident-${report.case.reference}.pdf"`)
        .send(await renderPdf(incidentDocument(report), new Date(report.generated_at)))
    },
  )
}
