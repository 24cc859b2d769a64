import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { audited, type CommandDeps, recordAudit, runCommand } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { DomainError, UnauthenticatedError } from '../domain/errors.ts'
import {
  claimToken,
  machineSubject,
  recordRefusedToken,
  recordWrongSecret,
  settleToken,
  tokenThrottled,
} from './machine-throttle.ts'
import { hashToken, newToken, verifyPassword } from './secrets.ts'

export const MACHINE_TOKEN_TTL_SECONDS = 3600

export class OAuthError extends DomainError {
  constructor(
    error: 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type' | 'invalid_request',
    message: string,
  ) {
    super(error, error === 'invalid_client' ? 401 : 400, message)
  }
}

/**
 * OAuth2 client-credentials grant: the requested scopes must be a subset of the client's. The secret check claims
 * a slot of the throttle for (client id, address) first, like a staff sign-in (src/access/machine-throttle.ts);
 * `ip` is the caller's address (in-process callers share one).
 */
export async function issueMachineToken(
  deps: CommandDeps,
  clientId: string,
  secret: string,
  requestedScope?: string,
  ip = 'in-process',
) {
  const client = await deps.db.selectFrom('machine_clients').selectAll().where('id', '=', clientId).executeTakeFirst()
  const subject = machineSubject(clientId, client !== undefined)
  const claim = await claimToken(deps, subject, ip)
  if (!claim.ok) {
    await recordRefusedToken(deps, subject, ip, 'throttled')
    throw tokenThrottled(claim, deps.clock.now())
  }
  let ok: boolean
  try {
    ok = await verifyPassword(client?.secret_hash ?? null, secret)
  } catch (err) {
    await settleToken(deps, subject, ip, false) // no verdict: the slot is given back uncounted
    throw err
  }
  if (!client || !ok || client.status !== 'active') {
    const reason = !client ? 'unknown_client' : !ok ? 'wrong_secret' : 'client_disabled'
    const lock = await recordWrongSecret(deps, subject, ip, reason)
    if (lock) throw tokenThrottled(lock, deps.clock.now())
    throw new OAuthError('invalid_client', 'Unknown client or wrong secret')
  }
  // A right secret forgets the pair's failures (the client id's window count stays).
  await settleToken(deps, subject, ip, true)
  const requested = requestedScope ? requestedScope.split(/\s+/).filter(Boolean) : client.scopes
  const unknown = requested.filter((s) => !client.scopes.includes(s))
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `This client may not ask for ${unknown.join(' ')}`)
  const token = newToken('ngm')
  const tokenId = randomUUID()
  const actor: Actor = { kind: 'machine', clientId, tokenId, scopes: requested }
  return runCommand(deps, actor, async (ctx) => {
    const expiresAt = new Date(ctx.now.getTime() + MACHINE_TOKEN_TTL_SECONDS * 1000)
    await ctx.tx
      .insertInto('machine_tokens')
      .values({
        id: tokenId,
        client_id: clientId,
        token_hash: hashToken(token),
        scopes: requested,
        issued_at: ctx.now,
        expires_at: expiresAt,
      })
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'machine.token_issued',
      after: { token_id: tokenId, scopes: requested },
    })
    return audited(
      { access_token: token, token_type: 'Bearer', expires_in: MACHINE_TOKEN_TTL_SECONDS, scope: requested.join(' ') },
      [receipt],
    )
  })
}

export async function authenticateMachine(db: Kysely<DB>, now: Date, token: string): Promise<Actor> {
  return (await verifyMachineToken(db, now, token)).actor
}

/** The token's actor and when the token expires (src/access/machine-token-cache.ts keeps it no longer than that). */
export async function verifyMachineToken(
  db: Kysely<DB>,
  now: Date,
  token: string,
): Promise<{ actor: Actor; expiresAt: Date }> {
  const row = await db
    .selectFrom('machine_tokens')
    .innerJoin('machine_clients', 'machine_clients.id', 'machine_tokens.client_id')
    .select(['machine_tokens.id', 'machine_tokens.client_id', 'machine_tokens.scopes', 'machine_tokens.expires_at'])
    .select(['machine_tokens.revoked_at', 'machine_clients.status'])
    .where('machine_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst()
  if (!row || row.revoked_at || new Date(row.expires_at) <= now || row.status !== 'active') {
    throw new UnauthenticatedError('This access token is not valid: ask for a new one')
  }
  return {
    actor: { kind: 'machine', clientId: row.client_id, tokenId: row.id, scopes: row.scopes },
    expiresAt: new Date(row.expires_at),
  }
}
