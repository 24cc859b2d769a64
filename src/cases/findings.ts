// Findings and staff (issue 11, item 7): a compliance officer concludes the case — staff misconduct among the
// conclusions — links the staff members it names, starts their suspension, and records every measure taken, in
// one transaction. The case is then resolved (its resolution clock stops).
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { MeasureKind } from '../db/types-cases.ts'
import type { CaseConclusion } from '../domain/cases.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { suspendStaff } from '../staff/index.ts'
import { mustManage } from './commands.ts'
import { lockCase } from './queries.ts'

export interface FindingsInput {
  conclusion: CaseConclusion
  findings: string
  /** Staff the findings name; `suspend` starts their suspension in this transaction. */
  staff?: { staff_id: string; suspend?: boolean; note?: string }[]
  /** Other measures taken (retraining, a process change…). */
  measures?: { kind: Exclude<MeasureKind, 'staff_suspended'>; description: string; staff_id?: string }[]
}

export async function recordFindings(ctx: CommandContext, officer: StaffActor, caseId: string, input: FindingsInput) {
  mustManage(officer, 'record_findings')
  const c = await lockCase(ctx.tx, caseId)
  if (!c) throw new NotFoundError('case', caseId)
  if (c.status === 'resolved' || c.status === 'closed')
    throw new ConflictError('case_resolved', `Case ${c.reference} already has its findings`)
  const findings = input.findings.trim()
  if (findings.length < 3) throw new ValidationError('findings', 'write the findings')
  const named = input.staff ?? []
  if (input.conclusion === 'staff_misconduct' && named.length === 0)
    throw new ValidationError('staff', 'a finding of staff misconduct names the staff member(s)')
  // case_links has no foreign key (it links three tables): a staff id nobody holds would be named silently.
  const ids = [...new Set(named.map((s) => s.staff_id))]
  const known = ids.length ? await ctx.tx.selectFrom('staff').select('id').where('id', 'in', ids).execute() : []
  const unknown = ids.find((id) => !known.some((k) => k.id === id))
  if (unknown) throw new NotFoundError('staff member', unknown)
  const receipts: AuditReceipt[] = []
  const measures: { id: string; kind: MeasureKind; staff_id: string | null; description: string }[] = []
  for (const s of named) {
    await ctx.tx
      .insertInto('case_links')
      .values({
        case_id: c.id,
        link_kind: 'staff',
        ref_id: s.staff_id,
        note: s.note?.trim() || 'named by the findings',
        linked_by: officer.staffId,
        linked_at: ctx.now,
      })
      .onConflict((o) => o.doNothing())
      .execute()
    if (s.suspend) {
      const suspended = await suspendStaff(ctx, s.staff_id, { reason: `case ${c.reference}: ${input.conclusion}` })
      receipts.push(...suspended.receipts)
      measures.push({
        id: randomUUID(),
        kind: 'staff_suspended',
        staff_id: s.staff_id,
        description: `suspended (${suspended.result.cancelled_requests.length} requests cancelled, ${suspended.result.sessions_ended} sessions ended)`,
      })
    }
  }
  for (const m of input.measures ?? [])
    measures.push({ id: randomUUID(), kind: m.kind, staff_id: m.staff_id ?? null, description: m.description.trim() })
  if (measures.length > 0)
    await ctx.tx
      .insertInto('case_measures')
      .values(measures.map((m) => ({ ...m, case_id: c.id, recorded_by: officer.staffId, recorded_at: ctx.now })))
      .execute()
  const set = {
    status: 'resolved' as const,
    resolved_at: ctx.now,
    conclusion: input.conclusion,
    findings,
    first_response_at: c.first_response_at ?? ctx.now,
  }
  await ctx.tx.updateTable('cases').set(set).where('id', '=', c.id).execute()
  receipts.unshift(
    await recordAudit(ctx, {
      action: 'case.findings_recorded',
      basis: c.id,
      before: { status: c.status },
      after: { status: 'resolved', conclusion: input.conclusion },
      data: {
        case_id: c.id,
        reference: c.reference,
        resolution_due_at: c.resolution_due_at,
        staff: named.map((s) => s.staff_id),
        measures: measures.map((m) => ({ id: m.id, kind: m.kind, staff_id: m.staff_id })),
      },
    }),
  )
  return audited({ ...c, ...set, measures }, receipts as [AuditReceipt, ...AuditReceipt[]])
}
