// Row types of the sign-in throttle (migrations 003 and 021, src/access/throttle-claims.ts).
import type { ColumnType } from 'kysely'
import type { Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

/** The per-username ceiling (and, under 'client:' keys, per machine client): failures in a window, claims in flight. */
export interface SignInThrottleTable {
  username: string
  failures: ColumnType<number, number | undefined, number>
  pending: ColumnType<number, number | undefined, number>
  locked_until: NullableTimestamp
  window_started_at: NullableTimestamp
  claimed_at: NullableTimestamp
  updated_at: Timestamp
}

/** Failures of one (username, client address) pair, and the doubling lock they earn. */
export interface SignInPairsTable {
  username: string
  ip: string
  failures: ColumnType<number, number | undefined, number>
  pending: ColumnType<number, number | undefined, number>
  locks: ColumnType<number, number | undefined, number>
  locked_until: NullableTimestamp
  claimed_at: Timestamp
  updated_at: Timestamp
}

export interface SignInTables {
  sign_in_throttle: SignInThrottleTable
  sign_in_pairs: SignInPairsTable
}
