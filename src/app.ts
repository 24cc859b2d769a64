import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { CommandDeps } from './audit/index.ts'
import type { Config } from './config.ts'
import type { Database } from './db/handle.ts'
import type { DB } from './db/types.ts'
import type { Clock, MovableClock } from './domain/clock.ts'
import type { SmsLink } from './sms/index.ts'

/** Everything a route, the worker or the CLI needs, built once per process. */
export interface App {
  config: Config
  database: Database
  db: Kysely<DB>
  clock: Clock
  /** Present only in demo mode: the clock a person may move forward. */
  movableClock?: MovableClock
  deps: CommandDeps
  logger: Logger
  /** The SMSC link (transport, sender id, and in demo the embedded simulator) once `startSms` ran; absent: notices only queue. */
  sms?: SmsLink
}
