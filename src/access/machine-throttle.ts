// The /oauth/token throttle: the sign-in throttle's pairs and ceiling (throttle-claims.ts), keyed by client id.
// Wrong secrets lock the (client id, address) pair for a doubling time and raise a warning; KEY_CEILING of them
// from everywhere within the window protect the client itself and raise a risk alert. Each refusal is recorded.
import { type AuditReceipt, audited, type CommandDeps, raiseAlert, recordAudit, runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { sha256Hex } from './secrets.ts'
import { lockFigures } from './sign-in-throttle.ts'
import {
  type Claim,
  claimAttempt,
  KEY_CEILING,
  KEY_LOCK_MINUTES,
  KEY_WINDOW_MINUTES,
  PAIR_ATTEMPTS,
  settleAttempt,
  settleFailure,
} from './throttle-claims.ts'

const OAUTH: Actor = { kind: 'system', component: 'oauth' }

/** An id that names no client is kept only as its SHA-256 (a secret pasted into the id field is not stored). */
export interface MachineSubject {
  key: string
  named: { client_id: string } | { client_id_sha256: string }
}

export function machineSubject(clientId: string, known: boolean): MachineSubject {
  if (known) return { key: `client:${clientId}`, named: { client_id: clientId } }
  const digest = sha256Hex(clientId)
  return { key: `client-sha256:${digest}`, named: { client_id_sha256: digest } }
}

export const claimToken = (deps: CommandDeps, s: MachineSubject, ip: string): Promise<Claim> =>
  claimAttempt(deps.db, deps.clock, s.key, ip)

export const settleToken = (deps: CommandDeps, s: MachineSubject, ip: string, ok: boolean) =>
  settleAttempt(deps.db, s.key, ip, ok ? 'success' : 'uncounted')

/** 429 for a throttled client, in the OAuth error vocabulary the route speaks (`error` = the code). */
export function tokenThrottled(claim: { lockedUntil: Date | null }, now: Date): DomainError {
  const retryAfter = claim.lockedUntil
    ? Math.max(1, Math.ceil((claim.lockedUntil.getTime() - now.getTime()) / 1000))
    : 60
  return new DomainError('slow_down', 429, `Too many wrong client secrets: try again in ${retryAfter} seconds`, {
    retry_after_seconds: retryAfter,
  })
}

export async function recordRefusedToken(deps: CommandDeps, s: MachineSubject, ip: string, reason: string) {
  await runCommand(deps, OAUTH, async (ctx) =>
    audited(undefined, [await recordAudit(ctx, { action: 'machine.token_refused', data: { ...s.named, ip, reason } })]),
  )
}

/** Counts a wrong secret (or an unknown or disabled client); returns the lock it set, if any. */
export async function recordWrongSecret(deps: CommandDeps, s: MachineSubject, ip: string, reason: string) {
  return runCommand(deps, OAUTH, async (ctx) => {
    const outcome = await settleFailure(ctx.tx, s.key, ip, ctx.now)
    const receipts: [AuditReceipt, ...AuditReceipt[]] = [
      await recordAudit(ctx, { action: 'machine.token_refused', data: { ...s.named, ip, reason } }),
    ]
    if (outcome.pairLock) {
      const attempt = { ...s.named, ip, failed_attempts: PAIR_ATTEMPTS, ...lockFigures(outcome, ctx.now) }
      receipts.push((await raiseAlert(ctx, { kind: 'machine_client_locked', severity: 'warning', attempt })).receipt)
    }
    if (outcome.keyLock) {
      const attempt = {
        ...s.named,
        failed_attempts: KEY_CEILING,
        window_minutes: KEY_WINDOW_MINUTES,
        protected_minutes: KEY_LOCK_MINUTES,
        last_ip: ip,
      }
      receipts.push((await raiseAlert(ctx, { kind: 'machine_client_ceiling', severity: 'risk', attempt })).receipt)
    }
    const until = outcome.keyLock?.until ?? outcome.pairLock?.until ?? null
    return audited(until ? { lockedUntil: until } : null, receipts)
  })
}
