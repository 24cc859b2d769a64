// What production checks of the login in DATABASE_URL before it opens the pool: the login may do nothing but take
// numguard_app. A role attribute (CREATEROLE could grant itself the owner; BYPASSRLS, REPLICATION… read or write
// around the grants) or any other membership, predefined roles such as pg_write_all_data included, steps around the
// grants and triggers that guard custody. Read from the catalogs on a plain connection, without SET ROLE.
import pg from 'pg'
import { APP_ROLE } from './db/migrate.ts'

/** The attributes beyond LOGIN that production refuses, by their pg_roles column. */
const ATTRIBUTES = {
  rolsuper: 'SUPERUSER',
  rolcreaterole: 'CREATEROLE',
  rolcreatedb: 'CREATEDB',
  rolreplication: 'REPLICATION',
  rolbypassrls: 'BYPASSRLS',
} as const
type AttributeColumn = keyof typeof ATTRIBUTES

const FIX = `production's DATABASE_URL must be a plain LOGIN whose only membership is ${APP_ROLE}`

/** Every reason the login in `url` could step around numguard's grants; empty when it is safe to serve as. */
export async function unsafeLoginProblems(url: string, migrationUrl: string | undefined): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const login = (await client.query<{ login: string }>('SELECT session_user AS login')).rows[0]?.login as string
    const problems = await attributeProblems(client, login)
    const owner = await ownerProblem(client, login, migrationUrl ?? url)
    if (owner) problems.push(owner)
    else problems.push(...(await membershipProblems(client, login)))
    return problems
  } finally {
    await client.end()
  }
}

async function attributeProblems(client: pg.Client, login: string): Promise<string[]> {
  const columns = Object.keys(ATTRIBUTES) as AttributeColumn[]
  const rows = await client.query<{ rolname: string } & Record<AttributeColumn, boolean>>(
    `SELECT rolname, ${columns.join(', ')} FROM pg_roles WHERE rolname IN ($1, $2) ORDER BY rolname = $1 DESC`,
    [login, APP_ROLE],
  )
  return rows.rows.flatMap((role) => {
    const held = columns.filter((c) => role[c]).map((c) => ATTRIBUTES[c])
    if (held.length === 0) return []
    const who = role.rolname === login ? `DATABASE_URL logs in as ${login}, which has` : `the role ${APP_ROLE} has`
    const superuser = role.rolsuper ? ' (a superuser could RESET ROLE and step around every grant)' : ''
    return [
      `${who} ${held.join(', ')}${superuser}; ${FIX} (ALTER ROLE ${role.rolname} ${held.map((a) => `NO${a}`).join(' ')})`,
    ]
  })
}

/**
 * The owner of the schema's tables (or, before the first migration, the login that will run it and so own them),
 * or the owner of the schema itself: either could disable the triggers. The login being it, or a member of it.
 */
async function ownerProblem(client: pg.Client, login: string, migrationUrl: string): Promise<string | undefined> {
  const found = await client.query<{ owner: string | null; schema_owner: string; schema_member: boolean }>(
    `SELECT (SELECT pg_get_userbyid(c.relowner) FROM pg_class c
              WHERE c.relname = 'custodies' AND c.relnamespace = n.oid) AS owner,
            pg_get_userbyid(n.nspowner) AS schema_owner,
            pg_has_role(session_user, n.nspowner, 'MEMBER') AS schema_member
       FROM pg_namespace n WHERE n.nspname = current_schema()`,
  )
  const row = found.rows[0]
  const owner = row?.owner ?? (await sessionUserOf(migrationUrl))
  const member = owner === login || (row?.owner ? await isMember(client, row.owner) : false)
  const tail =
    'which could RESET ROLE and disable the guards; MIGRATION_DATABASE_URL is the owner, and DATABASE_URL must be ' +
    `a different login that is a member of ${APP_ROLE} only`
  if (member) return `DATABASE_URL logs in as the schema owner ${owner} or a member of it, ${tail}`
  if (row?.schema_member)
    return `DATABASE_URL logs in as the owner of the schema ${row.schema_owner} or a member of it, ${tail}`
  return undefined
}

async function isMember(client: pg.Client, role: string): Promise<boolean> {
  const r = await client.query<{ m: boolean }>(`SELECT pg_has_role(session_user, $1::name, 'MEMBER') AS m`, [role])
  return r.rows[0]?.m === true
}

async function sessionUserOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<{ u: string }>('SELECT session_user AS u')).rows[0]?.u as string
  } finally {
    await client.end()
  }
}

/** Every role the login is a member of, directly or through another, with the chain that leads to it. */
async function membershipProblems(client: pg.Client, login: string): Promise<string[]> {
  const found = await client.query<{ role: string; via: string }>(
    `WITH RECURSIVE granted(roleid, via) AS (
       SELECT m.roleid, ''::text FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1
       UNION
       SELECT m.roleid, CASE WHEN g.via = '' THEN r.rolname::text ELSE g.via || ' → ' || r.rolname::text END COLLATE "default"
         FROM granted g JOIN pg_auth_members m ON m.member = g.roleid JOIN pg_roles r ON r.oid = g.roleid
     )
     SELECT r.rolname AS role, min(g.via) AS via FROM granted g JOIN pg_roles r ON r.oid = g.roleid
      WHERE r.rolname <> $2 GROUP BY r.rolname ORDER BY r.rolname`,
    [login, APP_ROLE],
  )
  return found.rows.map(
    (m) =>
      `DATABASE_URL logs in as ${login}, which is a member of ${m.role}${m.via ? ` (through ${m.via})` : ''}, ` +
      `which steps around numguard's grants; ${FIX} (REVOKE ${m.role} FROM ${m.via ? m.via.split(' → ').at(-1) : login})`,
  )
}
