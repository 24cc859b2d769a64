// The partner checks of a period, for the monthly report: every answer the partner access log holds, by operation
// (answered or refused) and by client.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import { partnerDb } from './db.ts'

export interface PartnerCounts {
  checks: number
  by_operation: Record<string, { answered: number; refused: number }>
  by_client: { client_id: string; checks: number }[]
}

export async function partnerCounts(kdb: Kysely<DB>, from: Date, to: Date): Promise<PartnerCounts> {
  const rows = await partnerDb(kdb)
    .selectFrom('partner_access_log')
    .select(['client_id', 'operation', sql<boolean>`status < 400`.as('answered'), sql<string>`count(*)`.as('n')])
    .where('asked_at', '>=', from)
    .where('asked_at', '<', to)
    .groupBy(['client_id', 'operation', sql`status < 400`])
    .execute()
  const out: PartnerCounts = { checks: 0, by_operation: {}, by_client: [] }
  const clients = new Map<string, number>()
  for (const r of rows) {
    const n = Number(r.n)
    out.checks += n
    const op = out.by_operation[r.operation] ?? { answered: 0, refused: 0 }
    out.by_operation[r.operation] = op
    if (r.answered) op.answered += n
    else op.refused += n
    clients.set(r.client_id, (clients.get(r.client_id) ?? 0) + n)
  }
  out.by_client = [...clients].map(([client_id, checks]) => ({ client_id, checks })).sort((a, b) => b.checks - a.checks)
  return out
}
