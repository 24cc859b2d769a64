import { randomUUID } from 'node:crypto'
import { type AuditReceipt, type CommandContext, recordAudit } from '../audit/record.ts'
import type { AlertDraft } from '../domain/errors.ts'

/** Writes an alert naming who attempted what, with its own audit record. */
export async function raiseAlert(
  ctx: CommandContext,
  draft: AlertDraft,
): Promise<{ id: string; receipt: AuditReceipt }> {
  const id = randomUUID()
  const actor = ctx.actor
  await ctx.tx
    .insertInto('alerts')
    .values({
      id,
      kind: draft.kind,
      severity: draft.severity,
      staff_id: draft.staffId ?? (actor.kind === 'staff' ? actor.staffId : null),
      session_id: actor.kind === 'staff' ? actor.sessionId : null,
      client_id: actor.kind === 'machine' ? actor.clientId : null,
      msisdn: draft.msisdn ?? null,
      attempt: JSON.stringify(draft.attempt),
      raised_at: ctx.now,
    })
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'alert.raised',
    msisdn: draft.msisdn,
    after: { alert_id: id, kind: draft.kind, severity: draft.severity },
    data: { attempt: draft.attempt },
  })
  return { id, receipt }
}
