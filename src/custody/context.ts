import type { Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

/** What a custody command needs of its caller's command context: the transaction it joins and its instant. */
export interface CustodyContext {
  tx: Transaction<DB>
  now: Date
}

/** Each command may be told what to throw when its guard matched no row (the caller's own, stable code). */
export type OnStale = () => Error
