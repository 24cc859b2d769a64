// Due work, not scans: workers claim the custodies whose next step is due in a short lease transaction, then handle
// each in its own short transaction that acts only if the row still shows the cycle the claim saw (a top-up that
// landed meanwhile wins: the row is simply due again). Any number of workers may sweep side by side.

import type { App } from '../app.ts'
import {
  type Audited,
  type AuditReceipt,
  audited,
  type CommandContext,
  runCommand,
  type Unchanged,
  unchanged,
} from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { agingEndsOn, localInstant, type PolicyParams, planCycle } from '../domain/policy.ts'
import { isStopping } from '../platform/stopping.ts'
import { ageOut, reinstateHolder } from './aging.ts'
import {
  type ClaimedRow,
  claimDueRows,
  custodyHolder,
  latestCustodyId,
  lockClaimedRow,
  lockNumberRow,
  policyParams,
  policyVersionAt,
  type StateChange,
  saveState,
} from './queries.ts'
import { replaceFailedWarnings } from './replacements.ts'
import { type CycleContext, queueWarning, reactivateNumber, suspendNumber } from './steps.ts'
import { checkWithdrawal, deferWithdrawal, withdrawNumber } from './withdrawal.ts'

export const RECYCLING_ACTOR: Actor = { kind: 'system', component: 'recycling' }
/** How long a claim owns its rows; a worker that dies leaves them due again after this. */
export const LEASE_MS = 5 * 60_000

export type Outcome =
  | 'superseded'
  | 'rescheduled'
  | 'warned'
  | 'suspended'
  | 'waiting'
  | 'withdrawn'
  | 'aged_out'
  | 'reinstated'
  | 'closed'

/** Claims up to `limit` due custodies for this worker (see claimDueRows). */
export function claimDueNumbers(app: Pick<App, 'db'>, now: Date, limit: number, leaseMs = LEASE_MS) {
  return claimDueRows(app.db, now, limit, leaseMs)
}

type StepResult = Audited<Outcome> | Unchanged<Outcome>

function finish(outcome: Outcome, receipts: AuditReceipt[]): StepResult {
  return receipts.length > 0 ? audited(outcome, receipts as [AuditReceipt, ...AuditReceipt[]]) : unchanged(outcome)
}

/** Handles one claimed custody in the caller's transaction: every step due at ctx.now, then when to look next. */
export async function processClaim(
  ctx: CommandContext,
  claim: ClaimedRow,
  policies: Map<number, PolicyParams> = new Map(),
): Promise<StepResult> {
  // The number first, then its recycling row: the order every writer of both follows.
  const number = await lockNumberRow(ctx.tx, claim.msisdn)
  const row = await lockClaimedRow(ctx.tx, claim)
  if (!row || !number) return unchanged('superseded')
  const save = async (outcome: Outcome, change: StateChange, receipts: AuditReceipt[] = []) => {
    await saveState(ctx.tx, row.custody_id, change, ctx.now)
    return finish(outcome, receipts)
  }
  if (row.account_type !== 'prepaid' || row.stage === 'closed') return save('closed', { next_due_at: null })

  const holder = await custodyHolder(ctx.tx, row.custody_id)
  const newCycle = row.seen_cycle_no !== row.cycle_no
  // A cycle keeps the policy version in force when it started: a later version never shortens it.
  const policyVersion =
    newCycle && row.stage === 'in_cycle'
      ? await policyVersionAt(ctx.tx, row.msisdn, row.cycle_started_at)
      : row.policy_version
  // Versions never change once written: a sweep reads each one once.
  let policy = policies.get(policyVersion)
  if (!policy) {
    policy = await policyParams(ctx.tx, policyVersion)
    policies.set(policyVersion, policy)
  }
  const c: CycleContext = { row, holder, policy, policyVersion }

  if (row.stage === 'aging') {
    // Ingestion moved the cycle of a withdrawn custody: a late qualifying event dated before the withdrawal.
    if (newCycle && (await latestCustodyId(ctx.tx, row.msisdn)) === row.custody_id && number.state === 'aging') {
      const reinstated = await reinstateHolder(ctx, c)
      if (reinstated) return save('reinstated', reinstated.change, reinstated.receipts)
    }
    if (number.state !== 'aging' || (await latestCustodyId(ctx.tx, row.msisdn)) !== row.custody_id) {
      return save('closed', { stage: 'closed', step: 'closed', next_due_at: null, seen_cycle_no: row.cycle_no })
    }
    // From the withdrawal, not from next_due_at: ingestion may have made the row due early.
    const business = holder.party_kind === 'organisation'
    const endsAt = localInstant(agingEndsOn(row.withdrawn_at ?? ctx.now, c.policy, business), c.policy.time_zone)
    if (endsAt > ctx.now) return save('rescheduled', { next_due_at: endsAt, seen_cycle_no: row.cycle_no })
    const aged = await ageOut(ctx, c)
    return save(aged.change.step === 'aged_out' ? 'aged_out' : 'closed', aged.change, aged.receipts)
  }

  // In cycle. A custody another path ended (termination, transfer…) has nothing more to do here.
  if (holder.ended_at !== null) return save('closed', { stage: 'closed', step: 'custody_ended', next_due_at: null })
  const receipts: AuditReceipt[] = []
  let change: StateChange = {}
  let numberState = number.state
  if (newCycle) {
    change = {
      policy_version: policyVersion,
      seen_cycle_no: row.cycle_no,
      warnings_queued: 0,
      step: 'none',
      waiting_reason: null,
    }
    row.warnings_queued = 0
    if (numberState === 'suspended') {
      receipts.push(...(await reactivateNumber(ctx, c)))
      numberState = 'active'
    }
  }
  // A warning the SMSC refused can never be evidence: it is sent again (bounded; see replacements.ts).
  if (!newCycle && row.warnings_queued > 0) receipts.push(...(await replaceFailedWarnings(ctx, c)))
  const plan = planCycle(
    row.cycle_started_at,
    c.policy,
    { warningsQueued: row.warnings_queued, suspended: numberState === 'suspended' },
    ctx.now,
  )
  let outcome: Outcome = 'rescheduled'
  for (const stage of plan.warningStages) {
    receipts.push(...(await queueWarning(ctx, c, stage)))
    change = { ...change, warnings_queued: stage, step: `warned_${stage}` }
    outcome = 'warned'
  }
  if (plan.suspend && numberState === 'active') {
    receipts.push(...(await suspendNumber(ctx, c)))
    numberState = 'suspended'
    change = { ...change, step: 'suspended' }
    outcome = 'suspended'
  }
  if (!plan.withdraw) return save(outcome, { ...change, next_due_at: plan.nextDueAt }, receipts)

  const check = await checkWithdrawal(ctx, c)
  if (check.reasons.length > 0) {
    const deferred = await deferWithdrawal(ctx, c, check)
    return save('waiting', { ...change, ...deferred.change }, [...receipts, ...deferred.receipts])
  }
  const withdrawn = await withdrawNumber(ctx, c, numberState, check)
  return save('withdrawn', { ...change, ...withdrawn.change, seen_cycle_no: row.cycle_no }, [
    ...receipts,
    ...withdrawn.receipts,
  ])
}

export interface SweepResult {
  claimed: number
  outcomes: Partial<Record<Outcome, number>>
  failed: number
}

export interface SweepOptions {
  /** Rows per claim. */
  batch?: number
  /** Custodies handled at once (each its own transaction); PGlite has one connection, so 1 there. */
  concurrency?: number
  /** Stop after this many claims even if more is due (the next pass continues). */
  maxClaims?: number
}

/**
 * Sweeps until nothing is due: claim a batch, handle each custody in its own transaction, repeat. A custody whose
 * step fails stays leased until the lease ends and is tried again then; the failure is logged, never swallowed.
 */
export async function sweepDueNumbers(app: App, options: SweepOptions = {}): Promise<SweepResult> {
  const batch = options.batch ?? 100
  const concurrency = app.database.kind === 'pglite' ? 1 : Math.max(1, options.concurrency ?? 4)
  const result: SweepResult = { claimed: 0, outcomes: {}, failed: 0 }
  const policies = new Map<number, PolicyParams>()
  for (let claims = 0; claims < (options.maxClaims ?? 1000) && !isStopping(app); claims++) {
    const claimed = await claimDueNumbers(app, app.clock.now(), batch)
    if (claimed.length === 0) break
    result.claimed += claimed.length
    let next = 0
    const lane = async () => {
      // On a stop the rest of the batch waits for its lease to end, as after a crash.
      while (next < claimed.length && !isStopping(app)) {
        const claim = claimed[next++]
        try {
          const outcome = await runCommand(app.deps, RECYCLING_ACTOR, (ctx) => processClaim(ctx, claim, policies))
          result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1
        } catch (err) {
          result.failed++
          app.logger.error(
            { err, custody_id: claim.custodyId, msisdn: claim.msisdn },
            'recycling step failed; retried when its lease ends',
          )
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, lane))
  }
  return result
}
