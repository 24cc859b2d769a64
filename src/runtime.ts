import { join, resolve } from 'node:path'
import { sql } from 'kysely'
import pino, { type Logger } from 'pino'
import type { App } from './app.ts'
import { loadAuditLogConfig, originMismatch, parseSignerKey, readSignerKeyFile } from './audit/index.ts'
import { type Config, productionProblems } from './config.ts'
import { type Database, openDatabase } from './db/handle.ts'
import { acquireLock } from './db/lock.ts'
import { CLOCK_OFFSET_KEY } from './demo/index.ts'
import { type Clock, MovableClock, SystemClock } from './domain/clock.ts'
import { unsafeLoginProblems } from './production-login.ts'
import { startSms } from './sms/index.ts'
import { wireFeatures } from './wiring.ts'

export class StartupRefusedError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    // One problem fits on one line (what the CLI prints after `numguard: `); several are listed.
    super(
      problems.length === 1
        ? `numguard refuses to start: ${problems[0]}`
        : `numguard refuses to start:\n  - ${problems.join('\n  - ')}`,
    )
    this.problems = problems
  }
}

export interface OpenedApp {
  app: App
  close(): Promise<void>
  setUrl(url: string): void
}

/**
 * Opens the database (taking the data-directory lock for the embedded one), migrates it, checks what production
 * refuses, and builds the clock. Everything a server, a worker or a CLI command needs.
 */
export async function openApp(
  config: Config,
  options: {
    logger?: Logger
    /** Connect to the SMSC (or start the demo simulator) and send notices: servers and workers. */
    sms?: boolean
  } = {},
): Promise<OpenedApp> {
  const problems = productionProblems(config)
  if (problems.length > 0) throw new StartupRefusedError(problems)
  wireFeatures()
  const originProblem = signerOriginProblem(config)
  if (originProblem) throw new StartupRefusedError([originProblem])
  // Before the pool, whose SET ROLE would fail for the owner's own login with an error that reads like a bug.
  if (config.mode === 'production' && config.databaseUrl) {
    const unsafe = await unsafeLoginProblems(config.databaseUrl, config.migrationDatabaseUrl)
    if (unsafe.length > 0) throw new StartupRefusedError(unsafe)
  }
  const logger = options.logger ?? pino({ level: config.logLevel })
  const lock = config.databaseUrl ? undefined : acquireLock(resolve(config.dataDir))
  let database: Database
  try {
    database = await openDatabase(
      config.databaseUrl
        ? { url: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl }
        : { dataDir: join(resolve(config.dataDir), 'pgdata') },
    )
  } catch (err) {
    lock?.release()
    throw err
  }
  const close = async () => {
    await database.close()
    lock?.release()
  }
  try {
    let clock: Clock = new SystemClock()
    let movableClock: MovableClock | undefined
    if (config.mode === 'production') {
      await refuseOwnerLogin(database)
      await refuseDemoAccounts(database)
    } else {
      const saved = await database.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', CLOCK_OFFSET_KEY)
        .executeTakeFirst()
      movableClock = new MovableClock(Number(saved?.value ?? 0))
      clock = movableClock
    }
    const app: App = {
      config,
      database,
      db: database.db,
      clock,
      movableClock,
      deps: { db: database.db, clock },
      logger,
    }
    const sms = options.sms ? await startSms(app) : undefined
    const closeAll = async () => {
      await sms?.close()
      await close()
    }
    return { app, close: closeAll, setUrl: (url) => lock?.setUrl(url) }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * A login that owns the schema, or may take the owner's role, could RESET ROLE (or SET ROLE to the owner) and
 * disable the triggers that guard custody: production runs as a login whose only way in is numguard_app.
 */
export async function refuseOwnerLogin(database: Database): Promise<void> {
  const who = await sql<{ owner: string | null; member: boolean | null }>`
    SELECT pg_get_userbyid(c.relowner) AS owner, pg_has_role(session_user, c.relowner, 'MEMBER') AS member
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = 'custodies' AND n.nspname = current_schema()`.execute(database.db)
  const row = who.rows[0]
  if (!row) throw new StartupRefusedError(['no custodies table in the current schema: run `numguard migrate` first'])
  if (row.member) {
    throw new StartupRefusedError([
      `DATABASE_URL logs in as the schema owner ${row.owner} or a member of it, which could RESET ROLE and disable ` +
        'the guards; MIGRATION_DATABASE_URL is the owner, and DATABASE_URL must be a different login that is a ' +
        'member of numguard_app only',
    ])
  }
}

/** A log key made for another origin than NUMGUARD_LOG_ORIGIN: refused at start, not at the first checkpoint. */
function signerOriginProblem(config: Config): string | undefined {
  const { keyFile, origin } = config.auditLog ?? loadAuditLogConfig({})
  let name: string
  try {
    name = parseSignerKey(readSignerKeyFile(keyFile)).name
  } catch {
    return undefined // an unreadable key is production's refusal, or the signer's error when it first signs
  }
  return originMismatch(keyFile, name, origin)
}

export async function refuseDemoAccounts(database: Database): Promise<void> {
  const demo = await sql<{ n: number }>`
    SELECT (SELECT count(*) FROM staff WHERE is_demo) + (SELECT count(*) FROM machine_clients WHERE is_demo) AS n`.execute(
    database.db,
  )
  if (Number(demo.rows[0]?.n) > 0) {
    throw new StartupRefusedError([
      'this database holds demo staff or demo machine clients with published passwords; production refuses to serve it',
    ])
  }
}
