import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Actor } from '../audit/actor.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { type CommandDeps, runCommand } from '../audit/run-command.ts'
import type { DB } from '../db/types.ts'
import { DomainError, UnauthenticatedError } from '../domain/errors.ts'
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

/** OAuth2 client-credentials grant: the requested scopes must be a subset of the client's. */
export async function issueMachineToken(deps: CommandDeps, clientId: string, secret: string, requestedScope?: string) {
  const client = await deps.db.selectFrom('machine_clients').selectAll().where('id', '=', clientId).executeTakeFirst()
  const ok = await verifyPassword(client?.secret_hash ?? null, secret)
  if (!client || !ok || client.status !== 'active')
    throw new OAuthError('invalid_client', 'Unknown client or wrong secret')
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
  return { kind: 'machine', clientId: row.client_id, tokenId: row.id, scopes: row.scopes }
}
