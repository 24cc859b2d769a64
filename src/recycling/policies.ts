// Versioned recycling policies. An inventory manager proposes a version (a policy_change request); a compliance
// officer approves it; its execution installs the version, effective only for cycles that start at least 30 days
// after the approval — a cycle keeps the version it started with, so no change ever shortens a cycle in flight.
// Each market has its own series (migration 034): `version` is the global id cycles name, `market_version` the place
// in the market's series, and every version is checked against its market's floors here and in the database.
import type { Kysely } from 'kysely'
import { type Audited, type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { ConflictError } from '../domain/errors.ts'
import { MARKETS, type MarketCode } from '../domain/markets.ts'
import { POLICY_NOTICE_DAYS, type PolicyParams, parsePolicyParams } from '../domain/policy.ts'
import type { RequestRecord } from '../requests/index.ts'
import { createRequest, type ExecutionResult, registerRequestExecutor } from '../requests/index.ts'

export interface PolicyVersion {
  version: number
  market: string
  market_version: number
  params: PolicyParams
  effective_from: Date
  approved_at: Date
  request_id: string | null
}

/** A market's versions, newest first. */
export async function listPolicyVersions(db: Kysely<DB>, market: MarketCode): Promise<PolicyVersion[]> {
  const rows = await db
    .selectFrom('recycling_policies')
    .selectAll()
    .where('market', '=', market)
    .orderBy('market_version', 'desc')
    .execute()
  return rows.map((r) => ({
    version: r.version,
    market: r.market,
    market_version: r.market_version,
    params: r.params as PolicyParams,
    effective_from: r.effective_from,
    approved_at: r.approved_at,
    request_id: r.request_id,
  }))
}

/** The market's newest version: what a proposal starts from (not necessarily in force yet). */
export async function latestPolicy(db: Kysely<DB>, market: MarketCode): Promise<PolicyVersion> {
  const [latest] = await listPolicyVersions(db, market)
  return latest
}

export interface PolicyProposal {
  market: MarketCode
  /** The parameters to change; the rest keep the latest version's values. */
  params: Record<string, unknown>
  /** A later start than the 30 days after approval, if wanted. */
  effectiveFrom?: Date
}

/** What the request carries and the approver signs: the complete parameters of the proposed version. */
export interface PolicyChangePayload {
  /** Absent on requests made before markets (migration 034): those were Cambodia's. */
  market?: MarketCode
  params: PolicyParams
  based_on_version: number
  effective_from: string | null
  [key: string]: unknown
}

/**
 * Proposes a new version as a policy_change request (an inventory manager; a compliance officer approves). The
 * proposal is checked against every floor now, and again when it executes.
 */
export async function proposePolicy(ctx: CommandContext, input: PolicyProposal): Promise<Audited<RequestRecord>> {
  const floors = MARKETS[input.market].floors
  const base = await latestPolicy(ctx.tx, input.market)
  const params = parsePolicyParams(input.params, base.params, floors)
  if (JSON.stringify(params) === JSON.stringify(parsePolicyParams(base.params, undefined, floors))) {
    throw new ConflictError('policy_unchanged', `The proposal is the same as version ${base.version}`, {
      version: base.version,
    })
  }
  const payload: PolicyChangePayload = {
    market: input.market,
    params,
    based_on_version: base.version,
    effective_from: input.effectiveFrom ? input.effectiveFrom.toISOString() : null,
  }
  return createRequest(ctx, { kind: 'policy_change', msisdn: null, payload })
}

/**
 * Installs the version an approved policy_change request names. Runs inside executeRequest's transaction; the
 * database checks again that the request is executed, approved by a compliance officer, and for these params.
 */
export async function executePolicyChange(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const payload = request.payload as PolicyChangePayload
  const market = payload.market ?? 'KH'
  const params = parsePolicyParams(payload.params, undefined, MARKETS[market].floors)
  const latest = await latestPolicy(ctx.tx, market)
  if (latest.version !== payload.based_on_version) {
    throw new ConflictError(
      'policy_changed_since',
      `Version ${latest.version} was installed after this proposal was made from version ${payload.based_on_version}: propose again`,
      { latest_version: latest.version, based_on_version: payload.based_on_version },
    )
  }
  const approval = await ctx.tx
    .selectFrom('request_approvals')
    .select('decided_at')
    .where('request_id', '=', request.id)
    .where('decision', '=', 'approved')
    .where('voided_at', 'is', null)
    .where('payload_sha256', '=', request.payload_sha256)
    .orderBy('decided_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow()
  const approvedAt = new Date(approval.decided_at)
  const earliest = approvedAt.getTime() + POLICY_NOTICE_DAYS * 86_400_000
  const effectiveFrom = new Date(
    Math.max(earliest, ctx.now.getTime(), payload.effective_from ? Date.parse(payload.effective_from) : 0),
  )
  // The next global id, and the next of the market's series (the database checks both).
  const { next } = await ctx.tx
    .selectFrom('recycling_policies')
    .select((eb) => eb.fn.max('version').as('next'))
    .executeTakeFirstOrThrow()
  const version = Number(next) + 1
  const marketVersion = latest.market_version + 1
  await ctx.tx
    .insertInto('recycling_policies')
    .values({
      version,
      market,
      market_version: marketVersion,
      params: JSON.stringify(params),
      effective_from: effectiveFrom,
      approved_at: approvedAt,
      request_id: request.id,
    })
    .execute()
  const receipt: AuditReceipt = await recordAudit(ctx, {
    action: 'policy.version_added',
    after: { version, market, market_version: marketVersion, effective_from: effectiveFrom },
    basis: request.id,
    data: {
      version,
      market,
      market_version: marketVersion,
      previous_version: latest.version,
      request_id: request.id,
      approved_at: approvedAt,
      effective_from: effectiveFrom,
      params,
    },
  })
  return {
    outcome: { version, market, market_version: marketVersion, effective_from: effectiveFrom.toISOString() },
    receipts: [receipt],
  }
}

export function registerPolicyExecutor(): void {
  registerRequestExecutor('policy_change', { execute: executePolicyChange, dedicatedRoute: 'POST /api/v1/policies' })
}
