// Demo mode only: the code a demo account's authenticator would show, from its published DEMO secret. Production
// refuses to start while any demo account exists, and never registers the route that calls this.
import type { App } from '../app.ts'
import { ConflictError, ForbiddenError } from '../domain/errors.ts'
import { mfaSettingsOf, openMfaSecret } from './mfa-secrets.ts'
import { TOTP_DRIFT_STEPS, TOTP_STEP_SECONDS, totp, totpStep } from './totp.ts'

export async function demoCode(app: App, staffId: string) {
  if (app.config.mode !== 'demo') throw new ForbiddenError('demo_code', 'Demo codes exist only in demo mode')
  const staff = await app.db
    .selectFrom('staff')
    .select(['id', 'is_demo', 'mfa_secret', 'mfa_last_step'])
    .where('id', '=', staffId)
    .executeTakeFirstOrThrow()
  if (!staff.is_demo || !staff.mfa_secret)
    throw new ConflictError('not_a_demo_account', 'Only a demo account enrolled with its DEMO secret has a demo code')
  const settings = mfaSettingsOf(app)
  const now = settings.wallClock.now()
  // The first step not used yet, within the drift the server accepts: a code is never offered twice.
  const step = Math.max(totpStep(now), (staff.mfa_last_step ?? -1) + 1)
  if (step > totpStep(now) + TOTP_DRIFT_STEPS)
    throw new ConflictError('demo_code_used', 'The next codes were used already: try again in 30 seconds')
  const secret = openMfaSecret(settings.secretKey, staff.id, Buffer.from(staff.mfa_secret))
  const at = new Date(step * TOTP_STEP_SECONDS * 1000)
  const validUntil = new Date((step + 1 + TOTP_DRIFT_STEPS) * TOTP_STEP_SECONDS * 1000)
  return { code: totp(secret, at), valid_until: validUntil }
}
