// A warning that ended `failed` or `unknown` is never evidence, so without a replacement the withdrawal would wait
// forever. The decision (see the report and README): `failed` means the SMSC refused the warning — the holder did
// not get it whole — so the sweep replaces it by itself, a bounded number of times; `unknown` may have been
// delivered, and sending it again is a person's call (POST …/recycling/rewarn), as is any replacement past the bound.
// A replacement is a new notice (key `warning:<custody>:<cycle>:<stage>:r<n>`); the evidence of a stage is its latest
// attempt, so the withdrawal counts the replacement and waits the 5-day floor from its receipts.
import { type Audited, type AuditReceipt, audited, type CommandContext } from '../audit/index.ts'
import { ConflictError, ValidationError } from '../domain/errors.ts'
import { localInstant } from '../domain/policy.ts'
import { loadDecisionContext } from './decision-context.ts'
import { isReplaceable } from './decision-policies.ts'
import { cycleWarningStates } from './queries.ts'
import { announcedWithdrawalOn, type CycleContext, queueWarning } from './steps.ts'

/** How many times the sweep replaces a `failed` warning of one stage by itself before a person must look. */
export const AUTO_REPLACEMENTS_PER_STAGE = 2

/** The sweep's part: replaces this cycle's `failed` warnings (latest attempt per stage) within the bound. */
export async function replaceFailedWarnings(ctx: CommandContext, c: CycleContext): Promise<AuditReceipt[]> {
  const receipts: AuditReceipt[] = []
  for (const w of await cycleWarningStates(ctx.tx, c.row.custody_id, c.row.cycle_no)) {
    if (w.state !== 'failed' || w.attempt >= AUTO_REPLACEMENTS_PER_STAGE) continue
    receipts.push(
      ...(await queueWarning(ctx, c, w.stage, {
        attempt: w.attempt + 1,
        replaces: { notice_id: w.notice_id, state: w.state },
        reason: 'the SMSC refused the warning: the holder did not receive it',
        automatic: true,
      })),
    )
  }
  return receipts
}

export interface RewarnInput {
  msisdn: string
  /** One stage; without it, every warning of the cycle that ended failed or unknown. */
  stage?: number
  reason: string
}

export interface RewarnResult {
  msisdn: string
  custody_id: string
  cycle_no: number
  replaced: { stage: number; attempt: number; replaces_notice_id: string; replaced_state: string }[]
  /** The date the replacement tells the holder; the withdrawal waits at least until then. */
  withdrawal_not_before: string
}

/** A person queues replacements for this cycle's warnings that can never be evidence; audited with their reason. */
export async function rewarnHolder(ctx: CommandContext, input: RewarnInput): Promise<Audited<RewarnResult>> {
  const reason = input.reason?.trim() ?? ''
  if (reason.length < 10) throw new ValidationError('reason', 'reason must say why, in at least 10 characters')
  const { c } = await loadDecisionContext(ctx, input.msisdn, 'replace_warnings')
  const { row } = c
  const warnings = await cycleWarningStates(ctx.tx, row.custody_id, row.cycle_no)
  const chosen = input.stage === undefined ? warnings : warnings.filter((w) => w.stage === input.stage)
  const replaceable = chosen.filter((w) => isReplaceable(w.state))
  if (replaceable.length === 0) {
    throw new ConflictError(
      'no_warning_to_replace',
      input.stage === undefined
        ? `No warning of ${row.msisdn}'s current cycle ended failed or unknown: there is nothing to replace`
        : `Warning ${input.stage} of ${row.msisdn}'s current cycle did not end failed or unknown: it may still be evidence`,
      {
        cycle_no: row.cycle_no,
        warnings: warnings.map((w) => ({ stage: w.stage, attempt: w.attempt, state: w.state })),
      },
    )
  }
  const receipts: AuditReceipt[] = []
  for (const w of replaceable) {
    receipts.push(
      ...(await queueWarning(ctx, c, w.stage, {
        attempt: w.attempt + 1,
        replaces: { notice_id: w.notice_id, state: w.state },
        reason,
        automatic: false,
      })),
    )
  }
  const notBefore = announcedWithdrawalOn(c, ctx.now)
  // A withdrawal already waiting looks again when the replacement's evidence could be old enough, not every hour; and
  // if the replacement also ends without evidence, the waiting alert is raised again for a person.
  if (row.step === 'waiting') {
    const at = localInstant(notBefore, c.policy.time_zone)
    await ctx.tx
      .updateTable('recycling_state')
      .set({
        next_due_at: new Date(Math.max(at.getTime(), ctx.now.getTime())),
        lease_id: null,
        alerted_reasons: row.alerted_reasons.filter((r) => r !== 'warnings_not_evidenced'),
        updated_at: ctx.now,
      })
      .where('custody_id', '=', row.custody_id)
      .where('cycle_no', '=', row.cycle_no)
      .execute()
  }
  // Each replacement wrote its records (refused above when there is none to replace).
  return audited(
    {
      msisdn: row.msisdn,
      custody_id: row.custody_id,
      cycle_no: row.cycle_no,
      replaced: replaceable.map((w) => ({
        stage: w.stage,
        attempt: w.attempt + 1,
        replaces_notice_id: w.notice_id,
        replaced_state: w.state,
      })),
      withdrawal_not_before: notBefore,
    },
    receipts as [AuditReceipt, ...AuditReceipt[]],
  )
}
