// SMS settings from the environment. Without SMPP_URL, demo mode and tests use the embedded SMSC simulator;
// production refuses to start without a real SMSC.
import { ValidationError } from '../domain/errors.ts'

export interface SmsConfig {
  /** smpp://system_id:password@host:port or smpps://… (TLS, certificates checked). */
  smppUrl?: string
  /** The sender id phones show (SMS_SOURCE_ADDR; default numguard). */
  sourceAddr: string
  /** Most submits awaiting their response at once (SMPP_WINDOW; default 10). */
  window?: number
  /** Messages per second (SMPP_RATE; default 50). */
  ratePerSecond?: number
  /** How often the server's own sender looks for due notices, in ms (SMS_SEND_INTERVAL_MS; default 2000). */
  sendIntervalMs: number
  /** How long the SMPP bind may be down before an `smsc_bind_down` alert, in s (SMPP_DOWN_ALERT_SECONDS; default 300). */
  downAlertSeconds?: number
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const text = env[name]
  if (text === undefined || text === '') return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ValidationError(name, `${name} must be a whole number 1–${max}`)
  return n
}

export function loadSmsConfig(env: NodeJS.ProcessEnv): SmsConfig {
  const smppUrl = env.SMPP_URL || undefined
  if (smppUrl && !/^smpps?:\/\/[^/]+/.test(smppUrl))
    throw new ValidationError('SMPP_URL', 'SMPP_URL must look like smpp://system_id:password@host:port (or smpps://)')
  const sourceAddr = env.SMS_SOURCE_ADDR || 'numguard'
  // Alphanumeric sender ids have at most 11 characters (GSM 03.40); numeric ones up to 20 digits.
  if (!/^([A-Za-z0-9 ]{1,11}|\+?[0-9]{1,20})$/.test(sourceAddr))
    throw new ValidationError('SMS_SOURCE_ADDR', 'SMS_SOURCE_ADDR must be up to 11 letters/digits, or a number')
  return {
    smppUrl,
    sourceAddr,
    window: positiveInt(env, 'SMPP_WINDOW', 1000),
    ratePerSecond: positiveInt(env, 'SMPP_RATE', 10_000),
    sendIntervalMs: positiveInt(env, 'SMS_SEND_INTERVAL_MS', 3_600_000) ?? 2000,
    downAlertSeconds: positiveInt(env, 'SMPP_DOWN_ALERT_SECONDS', 7 * 86_400),
  }
}

export function smsProblems(config: SmsConfig | undefined): string[] {
  if (config?.smppUrl) return []
  return ["SMPP_URL is required: production sends SMS through the operator's SMSC, never the embedded simulator"]
}
