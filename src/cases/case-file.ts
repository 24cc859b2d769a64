// The case file from the log (issue 11, item 3): the history of each number of the case — who did what, when, on
// whose approval, from which shop and session — and the case's own events, each leaf with its inclusion proof
// checked here against the latest signed checkpoint. A leaf after that checkpoint says so; a proof that fails is
// shown as failed, never hidden. The regulator's incident report (src/reports) reads the same file.
import type { Kysely } from 'kysely'
import { leafHash, timeline, verifyInclusion } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { caseNumbers } from './queries.ts'

export type ProofCheck = 'verified' | 'awaiting_checkpoint' | 'failed'

export interface CaseFileEntry {
  index: number
  at: string
  action: string
  msisdn: string | null
  staff_id: string | null
  username: string | null
  /** The staff member's shop (now: the leaf itself names the session it came from). */
  shop_id: string | null
  session_id: string | null
  request_id: string | null
  /** Who approved the request the leaf is about (approvals still standing: a suspension voids pending ones). */
  approved_by: { staff_id: string; username: string; shop_id: string | null }[]
  leaf_hash: string
  proof: ProofCheck
  /** The leaf's own before, after and data, as it recorded them. */
  before: Record<string, unknown>
  after: Record<string, unknown>
  data: Record<string, unknown>
}

export interface CaseFile {
  checkpoint: { size: number; root: Buffer; signed_at: Date; note: string } | null
  entries: CaseFileEntry[]
  counts: Record<ProofCheck, number>
  /** False when a timeline reached the read limit: the file then shows its first leaves only. */
  complete: boolean
}

/** Leaves read per timeline: a case's numbers rarely have more. */
const LIMIT = 5_000

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

async function approvalsOf(db: Kysely<DB>, requestIds: string[]) {
  const out = new Map<string, CaseFileEntry['approved_by']>()
  if (requestIds.length === 0) return out
  const rows = await db
    .selectFrom('request_approvals as a')
    .innerJoin('staff as s', 's.id', 'a.approver_id')
    .select(['a.request_id', 'a.approver_id', 's.username', 's.shop_id'])
    .where('a.request_id', 'in', requestIds)
    .where('a.decision', '=', 'approved')
    .where('a.voided_at', 'is', null)
    .orderBy('s.username')
    .execute()
  for (const r of rows)
    out.set(r.request_id, [
      ...(out.get(r.request_id) ?? []),
      { staff_id: r.approver_id, username: r.username, shop_id: r.shop_id },
    ])
  return out
}

export async function caseFile(db: Kysely<DB>, caseId: string): Promise<CaseFile> {
  const numbers = await caseNumbers(db, caseId)
  const parts = await Promise.all([
    ...numbers.map((msisdn) => timeline(db, { by: 'msisdn', value: msisdn }, { limit: LIMIT })),
    timeline(db, { by: 'basis', value: caseId }, { limit: LIMIT }),
  ])
  const checkpoint = parts.map((p) => p.checkpoint).find((c) => c) ?? null
  const seen = new Set<number>()
  const rows = parts
    .flatMap((p) => p.entries)
    .filter((e) => !seen.has(Number(e.leaf.index)) && seen.add(Number(e.leaf.index)))
    .sort((a, b) => Number(a.leaf.index) - Number(b.leaf.index))

  const staffIds = [...new Set(rows.map((r) => r.leaf.staff_id).filter((s): s is string => !!s))]
  const [staff, approvals] = await Promise.all([
    staffIds.length
      ? db.selectFrom('staff').select(['id', 'username', 'shop_id']).where('id', 'in', staffIds).execute()
      : [],
    approvalsOf(db, [...new Set(rows.map((r) => r.leaf.request_id).filter((s): s is string => !!s))]),
  ])
  const staffById = new Map(staff.map((s) => [s.id, s]))
  const counts: Record<ProofCheck, number> = { verified: 0, awaiting_checkpoint: 0, failed: 0 }
  const entries = rows.map((e): CaseFileEntry => {
    const index = Number(e.leaf.index)
    let proof: ProofCheck = 'awaiting_checkpoint'
    if (e.proof && checkpoint) {
      try {
        verifyInclusion(leafHash(e.leaf.leaf), index, checkpoint.size, e.proof, checkpoint.root)
        proof = 'verified'
      } catch {
        proof = 'failed'
      }
    }
    counts[proof]++
    const who = e.leaf.staff_id ? staffById.get(e.leaf.staff_id) : undefined
    const body = obj(JSON.parse(Buffer.from(e.leaf.leaf).toString('utf8')))
    return {
      index,
      at: new Date(e.leaf.at).toISOString(),
      action: e.leaf.action,
      msisdn: e.leaf.msisdn,
      staff_id: e.leaf.staff_id,
      username: who?.username ?? null,
      shop_id: who?.shop_id ?? null,
      session_id: e.leaf.session_id,
      request_id: e.leaf.request_id,
      approved_by: (e.leaf.request_id && approvals.get(e.leaf.request_id)) || [],
      leaf_hash: Buffer.from(e.leaf.leaf_hash).toString('base64'),
      proof,
      before: obj(body.before),
      after: obj(body.after),
      data: obj(body.data),
    }
  })
  return {
    checkpoint: checkpoint
      ? { size: checkpoint.size, root: checkpoint.root, signed_at: checkpoint.signed_at, note: checkpoint.note }
      : null,
    entries,
    counts,
    complete: parts.every((p) => p.entries.length < LIMIT),
  }
}
