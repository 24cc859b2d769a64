// PostgreSQL only (the pglite suite leaves *.pg.test.ts out): production's checks on the logins it is given, with
// real roles. The schema is owned by a plain login that runs the migrations, as in README's production set-up.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { generateSignerKey } from '../../src/audit/tlog/keys.ts'
import { describeFailure } from '../../src/cli/errors.ts'
import { loadConfig } from '../../src/config.ts'
import { openDatabase } from '../../src/db/handle.ts'
import { APP_ROLE } from '../../src/db/migrate.ts'
import { openApp, StartupRefusedError } from '../../src/runtime.ts'

const SUPER_URL = process.env.TEST_DATABASE_URL as string
const tag = randomBytes(4).toString('hex')
const schema = `${inject('pgSchemaPrefix')}${randomBytes(6).toString('hex')}`
const PASSWORD = 'numguard-test-login'
const roles = {
  owner: `ng_owner_${tag}`, // owns the schema and runs the migrations
  login: `ng_login_${tag}`, // member of numguard_app only: what production wants
  sneaky: `ng_sneaky_${tag}`, // member of numguard_app and of the owner: could SET ROLE to the owner
  outsider: `ng_outsider_${tag}`, // not a member of numguard_app at all
  creator: `ng_creator_${tag}`, // member of numguard_app only, but CREATEROLE: could grant itself the owner
  writer: `ng_writer_${tag}`, // member of numguard_app and of pg_write_all_data
  group: `ng_group_${tag}`, // a group role that is a member of pg_read_all_data
  grouped: `ng_grouped_${tag}`, // member of numguard_app and, through the group, of pg_read_all_data
}

/** The URL of `role` on the test server, in the test schema (search_path through the startup options). */
function urlOf(role: string): string {
  const url = new URL(SUPER_URL)
  url.username = role
  url.password = PASSWORD
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

async function asSuperuser(statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: SUPER_URL })
  await client.connect()
  try {
    for (const s of statements) await client.query(s)
  } finally {
    await client.end()
  }
}

// A signing key of the operator's own: production refuses the demo key.
const logKeyFile = join(mkdtempSync(join(tmpdir(), 'numguard-prod-')), 'log.key')
writeFileSync(logKeyFile, `${generateSignerKey('operator.example/log').skey}\n`)

const production = (databaseUrl: string) =>
  loadConfig({
    NUMGUARD_MODE: 'production',
    DATABASE_URL: databaseUrl,
    MIGRATION_DATABASE_URL: urlOf(roles.owner),
    NUMGUARD_KYC_KEY: 'k'.repeat(40),
    SMPP_URL: 'smpp://numguard:secret@smsc.example:2775', // configured only: openApp does not bind without { sms }
    NUMGUARD_LOG_KEY_FILE: logKeyFile,
    NUMGUARD_LOG_ORIGIN: 'operator.example/log', // the origin the key was made for: the signer refuses another
    LOG_LEVEL: 'warn',
  })

beforeAll(async () => {
  await asSuperuser([
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE} NOLOGIN; END IF;
     EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    `CREATE ROLE ${roles.owner} LOGIN PASSWORD '${PASSWORD}'`,
    `CREATE ROLE ${roles.login} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${APP_ROLE}`,
    `CREATE ROLE ${roles.sneaky} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${APP_ROLE}, ${roles.owner}`,
    `CREATE ROLE ${roles.outsider} LOGIN PASSWORD '${PASSWORD}'`,
    `CREATE ROLE ${roles.creator} LOGIN CREATEROLE PASSWORD '${PASSWORD}' IN ROLE ${APP_ROLE}`,
    `CREATE ROLE ${roles.writer} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${APP_ROLE}, pg_write_all_data`,
    `CREATE ROLE ${roles.group} NOLOGIN IN ROLE pg_read_all_data`,
    `CREATE ROLE ${roles.grouped} LOGIN PASSWORD '${PASSWORD}' IN ROLE ${APP_ROLE}, ${roles.group}`,
    `CREATE SCHEMA "${schema}" AUTHORIZATION ${roles.owner}`,
  ])
  // The first start migrates as MIGRATION_DATABASE_URL (the owner) and then serves as the plain login.
  const opened = await openApp(production(urlOf(roles.login)))
  await opened.close()
}, 120_000)

afterAll(async () => {
  await asSuperuser([
    `DROP SCHEMA IF EXISTS "${schema}" CASCADE`,
    ...Object.values(roles).flatMap((r) => [`DROP OWNED BY ${r}`, `DROP ROLE IF EXISTS ${r}`]),
  ])
})

describe('production logins', () => {
  it('serves as a login that is a member of numguard_app only, acting as numguard_app', async () => {
    const opened = await openApp(production(urlOf(roles.login)))
    try {
      const who = await sql<{ role: string; login: string; schema: string }>`
        SELECT current_user AS role, session_user AS login, current_schema() AS schema`.execute(opened.app.db)
      expect(who.rows).toEqual([{ role: APP_ROLE, login: roles.login, schema }])
      const numbers = await opened.app.db
        .selectFrom('numbers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(numbers.n)).toBe(0)
    } finally {
      await opened.close()
    }
  })

  it('refuses the schema owner’s own login, even when it may also take numguard_app', async () => {
    await asSuperuser([`GRANT ${APP_ROLE} TO ${roles.owner}`])
    try {
      const refused = openApp(production(urlOf(roles.owner)))
      await expect(refused).rejects.toBeInstanceOf(StartupRefusedError)
      await expect(refused).rejects.toThrow(
        new RegExp(`schema owner ${roles.owner}.*MIGRATION_DATABASE_URL is the owner.*member of numguard_app only`),
      )
    } finally {
      await asSuperuser([`REVOKE ${APP_ROLE} FROM ${roles.owner}`])
    }
  })

  it('refuses a login that is a member of the owner (it could SET ROLE to it and disable the guards)', async () => {
    const refused = openApp(production(urlOf(roles.sneaky)))
    await expect(refused).rejects.toBeInstanceOf(StartupRefusedError)
    await expect(refused).rejects.toThrow(/or a member of it, which could RESET ROLE/)
  })

  it('refuses the owner as DATABASE_URL (not even a member of numguard_app) in one line, not as a bug', async () => {
    const err = await openApp({ ...production(urlOf(roles.owner)), migrationDatabaseUrl: undefined }).catch((e) => e)
    expect(err).toBeInstanceOf(StartupRefusedError)
    const { text, bug } = describeFailure(err)
    expect(bug).toBe(false)
    expect(text).not.toContain('\n')
    expect(text).toMatch(
      new RegExp(`^numguard: numguard refuses to start: DATABASE_URL logs in as the schema owner ${roles.owner}`),
    )
  })

  it('refuses a login with CREATEROLE, naming the attribute', async () => {
    const refused = openApp(production(urlOf(roles.creator)))
    await expect(refused).rejects.toBeInstanceOf(StartupRefusedError)
    await expect(refused).rejects.toThrow(new RegExp(`${roles.creator}, which has CREATEROLE;.*NOCREATEROLE`))
  })

  it('refuses a login that is also a member of pg_write_all_data, naming the membership', async () => {
    const refused = openApp(production(urlOf(roles.writer)))
    await expect(refused).rejects.toBeInstanceOf(StartupRefusedError)
    await expect(refused).rejects.toThrow(
      new RegExp(
        `${roles.writer}, which is a member of pg_write_all_data, .*REVOKE pg_write_all_data FROM ${roles.writer}`,
      ),
    )
  })

  it('refuses a membership inherited through another role, naming the chain', async () => {
    const refused = openApp(production(urlOf(roles.grouped)))
    await expect(refused).rejects.toThrow(
      new RegExp(
        `member of ${roles.group},.*member of pg_read_all_data \\(through ${roles.group}\\).*REVOKE pg_read_all_data FROM ${roles.group}`,
        's',
      ),
    )
  })

  it('refuses each attribute beyond LOGIN: CREATEDB, REPLICATION, BYPASSRLS', async () => {
    await asSuperuser([`ALTER ROLE ${roles.login} CREATEDB REPLICATION BYPASSRLS`])
    try {
      await expect(openApp(production(urlOf(roles.login)))).rejects.toThrow(
        /which has CREATEDB, REPLICATION, BYPASSRLS;.*NOCREATEDB NOREPLICATION NOBYPASSRLS/,
      )
    } finally {
      await asSuperuser([`ALTER ROLE ${roles.login} NOCREATEDB NOREPLICATION NOBYPASSRLS`])
    }
  })

  it('refuses a superuser login before anything else', async () => {
    const url = new URL(SUPER_URL)
    url.searchParams.set('options', `-c search_path=${schema}`)
    await expect(openApp({ ...production(url.toString()), migrationDatabaseUrl: undefined })).rejects.toThrow(
      /superuser/,
    )
  })
})

describe('a login that cannot SET ROLE numguard_app', () => {
  it('never gets a connection: the SET ROLE error reaches the caller, and closing does not wait on it', async () => {
    const started = Date.now()
    await expect(openDatabase({ url: urlOf(roles.outsider), migrate: false, poolSize: 1 })).rejects.toThrow(
      new RegExp(`cannot SET ROLE ${APP_ROLE}.*grant ${APP_ROLE} to the login in DATABASE_URL`),
    )
    expect(Date.now() - started).toBeLessThan(10_000)
  }, 20_000)

  it('discards the connection: with a pool of one, every query fails the same way and none hangs', async () => {
    await asSuperuser([`GRANT ${APP_ROLE} TO ${roles.outsider}`])
    const database = await openDatabase({ url: urlOf(roles.outsider), migrate: false, poolSize: 1 })
    try {
      await asSuperuser([`REVOKE ${APP_ROLE} FROM ${roles.outsider}`])
      // The pool's one connection took the role before the grant was revoked; a new one cannot.
      await asSuperuser([`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${roles.outsider}'`])
      await new Promise((resolve) => setTimeout(resolve, 500)) // the pool drops its idle, now closed, connection
      // A connection that failed its SET ROLE and stayed checked out would leave this pool of one empty: the
      // second query would wait for ever.
      for (let i = 0; i < 3; i++) {
        await expect(database.db.selectFrom('numbers').select('msisdn').execute()).rejects.toThrow(
          `cannot SET ROLE ${APP_ROLE}`,
        )
      }
    } finally {
      await database.close()
    }
  }, 30_000)
})
