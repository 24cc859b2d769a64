// The consent feature's SQL, as named functions.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { ConsentMethod, ConsentParty } from '../domain/requests.ts'
import { REQUEST_TABLE, type RequestKind } from '../domain/requests.ts'

type Reader = Kysely<DB>

export interface RecordedConsent {
  id: string
  request_id: string
  party: ConsentParty
  method: ConsentMethod
  recorded_at: Date
  evidence: Record<string, unknown>
}

export async function consentsOf(db: Reader, requestIds: string[]): Promise<RecordedConsent[]> {
  if (requestIds.length === 0) return []
  const rows = await db
    .selectFrom('request_consents')
    .selectAll()
    .where('request_id', 'in', requestIds)
    .orderBy('recorded_at')
    .execute()
  return rows as RecordedConsent[]
}

/** The consents DOMAIN's table asks of this kind that are not recorded on the request yet. */
export async function missingConsents(
  db: Reader,
  request: { id: string; kind: RequestKind },
): Promise<{ party: ConsentParty; method: ConsentMethod }[]> {
  const have = await consentsOf(db, [request.id])
  return REQUEST_TABLE[request.kind].consents.filter(
    (c) => !have.some((h) => h.party === c.party && h.method === c.method),
  )
}

export interface ConsentCodeRow {
  id: string
  request_id: string
  msisdn: string
  party: 'holder'
  purpose: string
  code_salt: Buffer | null
  code_hash: Buffer | null
  state: string
  attempts: number
  expires_at: Date
}

/** The pending codes sent to a number, locked: two replies from one phone are handled one after the other. */
export async function lockPendingCodes(db: Reader, msisdn: string): Promise<ConsentCodeRow[]> {
  const rows = await db
    .selectFrom('consent_codes')
    .select(['id', 'request_id', 'msisdn', 'party', 'purpose', 'code_salt', 'code_hash', 'state', 'attempts'])
    .select('expires_at')
    .where('msisdn', '=', msisdn)
    .where('state', '=', 'pending')
    .orderBy('created_at')
    .forUpdate()
    .execute()
  return rows as ConsentCodeRow[]
}

/** A code consent recorded from this number since `since`: a redelivered `YES <code>` finds it. */
export async function recentCodeConsent(db: Reader, msisdn: string, since: Date) {
  return db
    .selectFrom('request_consents as c')
    .innerJoin('requests as r', 'r.id', 'c.request_id')
    .select(['c.request_id', 'r.kind', 'c.recorded_at'])
    .where('r.msisdn', '=', msisdn)
    .where('c.method', '=', 'mo_code')
    .where('c.recorded_at', '>=', since)
    .orderBy('c.recorded_at', 'desc')
    .executeTakeFirst()
}
