import { type AuditLogConfig, auditLogProblems, loadAuditLogConfig } from './audit/index.ts'
import { ValidationError } from './domain/errors.ts'
import { type HttpConfig, loadHttpConfig } from './platform/http-config.ts'
import type { Mode } from './platform/mode.ts'
import { loadSmsConfig, type SmsConfig, smsProblems } from './sms/index.ts'

export type { Mode }

export interface Config {
  mode: Mode
  host: string
  port: number
  databaseUrl?: string
  migrationDatabaseUrl?: string
  dataDir: string
  /** Key of the keyed hash of KYC document numbers. */
  kycKey: string
  logLevel: string
  /** The operator's country (ISO 3166 alpha-2): ranges are imported only for it, and national formats parse in it. */
  country: string
  sessionTtlHours: number
  reservationMinutes: number
  /** The audit log's signer key, origin and witnesses (src/audit/log-config.ts); absent means the demo defaults. */
  auditLog?: AuditLogConfig
  /** SMPP_URL, sender id, window and rate (src/sms/config.ts); absent means the defaults (embedded simulator in demo). */
  sms?: SmsConfig
  /** Public origin, request timeout and where /metrics is served (src/platform/http-config.ts); absent means the defaults. */
  http?: HttpConfig
}

/** Clearly-marked demo key: production refuses it. */
export const DEMO_KYC_KEY = 'demo-only-kyc-key-never-use-in-production'

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = (env.NUMGUARD_MODE ?? 'demo') as Mode
  if (mode !== 'demo' && mode !== 'production')
    throw new ValidationError('NUMGUARD_MODE', 'NUMGUARD_MODE must be demo or production')
  const port = Number(env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError('PORT', 'PORT must be a TCP port')
  return {
    mode,
    host: env.HOST ?? '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL || undefined,
    dataDir: env.NUMGUARD_DATA ?? './data',
    kycKey: env.NUMGUARD_KYC_KEY ?? DEMO_KYC_KEY,
    logLevel: env.LOG_LEVEL ?? 'info',
    country: parseCountry(env.NUMGUARD_COUNTRY ?? 'KH'),
    sessionTtlHours: 12,
    reservationMinutes: 30,
    auditLog: loadAuditLogConfig(env),
    sms: loadSmsConfig(env),
    http: loadHttpConfig(env, mode),
  }
}

/** What production mode refuses before it opens anything. */
export function productionProblems(config: Config): string[] {
  if (config.mode !== 'production') return []
  const problems: string[] = []
  if (!config.databaseUrl)
    problems.push('DATABASE_URL is required: production runs on PostgreSQL, not the embedded database')
  if (config.kycKey === DEMO_KYC_KEY)
    problems.push('NUMGUARD_KYC_KEY must be set to a secret of your own (the demo key is refused)')
  else if (config.kycKey.length < 32) problems.push('NUMGUARD_KYC_KEY must be at least 32 characters')
  problems.push(...auditLogProblems(config.auditLog ?? loadAuditLogConfig({})))
  problems.push(...smsProblems(config.sms))
  return problems
}

function parseCountry(code: string): string {
  if (!/^[A-Z]{2}$/.test(code))
    throw new ValidationError('NUMGUARD_COUNTRY', 'NUMGUARD_COUNTRY must be a two-letter country code such as KH')
  return code
}
