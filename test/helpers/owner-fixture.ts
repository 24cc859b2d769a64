// OWNER-CONNECTION FIXTURE. A test that needs a number withdrawn for inactivity (or aged out) without walking 90 days
// of warnings, receipts and feed may stand in for the recycling engine, but only as the schema owner: migration 031
// refuses an inactivity end to the application role without its cycle's withdrawal decision (and a number leaving
// aging before its floor), and exempts the owner (who could disable the triggers anyway). Production connects as
// numguard_app and can never take this path.
import { sql, type Transaction } from 'kysely'
import type { DB } from '../../src/db/types.ts'

/** The rest of `tx` runs as the owner (the session's login: a superuser in both test suites); commit reverts it. */
export async function actAsOwnerInThisTransaction(tx: Transaction<DB>): Promise<void> {
  await sql`SET LOCAL ROLE NONE`.execute(tx)
}
