import type { Role } from './roles.ts'

/**
 * Where a staff member's request came from. `ip` is the connection's; the rest is what the client says about itself:
 * the CLI sends the OS user and host it runs as (x-numguard-os-user, x-numguard-host), which nothing verifies.
 */
export interface ClientInfo {
  ip?: string
  userAgent?: string
  claimedOsUser?: string
  claimedHost?: string
}

export type Actor =
  | {
      kind: 'staff'
      staffId: string
      sessionId: string
      username: string
      roles: Role[]
      shopId: string | null
      client: ClientInfo
    }
  | { kind: 'machine'; clientId: string; tokenId: string; scopes: string[] }
  /**
   * A component of numguard itself; one started by a person on a machine (the CLI's direct-database bootstrap)
   * names the OS user and host the process itself read.
   */
  | { kind: 'system'; component: string; osUser?: string; host?: string }

/** The actor as it is written into an audit envelope. */
export function describeActor(actor: Actor): Record<string, unknown> {
  switch (actor.kind) {
    case 'staff':
      return {
        kind: 'staff',
        staff_id: actor.staffId,
        session_id: actor.sessionId,
        username: actor.username,
        // As the client claims them, not verified: any HTTP client can send these headers.
        ...(actor.client.claimedOsUser ? { claimed_os_user: actor.client.claimedOsUser } : {}),
        ...(actor.client.claimedHost ? { claimed_host: actor.client.claimedHost } : {}),
        ...(actor.client.ip ? { ip: actor.client.ip } : {}),
      }
    case 'machine':
      return { kind: 'machine', client_id: actor.clientId, token_id: actor.tokenId }
    case 'system':
      return {
        kind: 'system',
        component: actor.component,
        ...(actor.osUser ? { os_user: actor.osUser } : {}),
        ...(actor.host ? { host: actor.host } : {}),
      }
  }
}

export function staffIdOf(actor: Actor): string | null {
  return actor.kind === 'staff' ? actor.staffId : null
}
