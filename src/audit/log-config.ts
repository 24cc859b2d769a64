// Configuration of the audit log's signer and witnesses, read from the environment (see README: audit log).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ValidationError } from '../domain/errors.ts'
import { parseSignerKey, parseVerifierKey } from './tlog/keys.ts'

/** Clearly-marked demo signing key, published with the source: production refuses it. */
export const DEMO_LOG_KEY_FILE = fileURLToPath(new URL('../../config/demo-log-key.txt', import.meta.url))
export const DEFAULT_LOG_ORIGIN = 'numguard.demo/log'

export interface WitnessConfig {
  url: string
  /** The witness's verifier key (C2SP, type 0x04 cosignature). */
  vkey: string
}

export interface AuditLogConfig {
  /** Path of the C2SP signer key file (one PRIVATE+KEY+… line; '#' lines are comments). */
  keyFile: string
  /** The checkpoint origin line. */
  origin: string
  witnesses: WitnessConfig[]
  /** Personal data committed by leaves may be erased once it is at least this old. */
  personalRetentionDays: number
}

export function loadAuditLogConfig(env: NodeJS.ProcessEnv): AuditLogConfig {
  const origin = env.NUMGUARD_LOG_ORIGIN?.trim() || DEFAULT_LOG_ORIGIN
  if (/[\n\r]/.test(origin) || origin.length > 200)
    throw new ValidationError('NUMGUARD_LOG_ORIGIN', 'NUMGUARD_LOG_ORIGIN must be one line of at most 200 characters')
  const retention = Number(env.NUMGUARD_PERSONAL_RETENTION_DAYS ?? 1825)
  if (!Number.isInteger(retention) || retention < 1)
    throw new ValidationError(
      'NUMGUARD_PERSONAL_RETENTION_DAYS',
      'NUMGUARD_PERSONAL_RETENTION_DAYS must be a whole number of days',
    )
  return {
    keyFile: env.NUMGUARD_LOG_KEY_FILE?.trim() || DEMO_LOG_KEY_FILE,
    origin,
    witnesses: parseWitnesses(env.NUMGUARD_WITNESSES ?? ''),
    personalRetentionDays: retention,
  }
}

/** `url|vkey,url|vkey`: each witness's add-checkpoint base URL and its cosignature verifier key. */
export function parseWitnesses(text: string): WitnessConfig[] {
  const out: WitnessConfig[] = []
  for (const item of text.split(',').map((s) => s.trim())) {
    if (!item) continue
    const bar = item.indexOf('|')
    const url = bar < 0 ? '' : item.slice(0, bar).trim()
    const vkey = bar < 0 ? '' : item.slice(bar + 1).trim()
    let ok = /^https?:\/\//.test(url)
    try {
      ok = ok && parseVerifierKey(vkey).type === 'cosignature'
    } catch {
      ok = false
    }
    if (!ok)
      throw new ValidationError(
        'NUMGUARD_WITNESSES',
        `NUMGUARD_WITNESSES: "${item.slice(0, 80)}" is not url|vkey with an http(s) URL and a witness (cosignature) key`,
      )
    out.push({ url: url.replace(/\/+$/, ''), vkey })
  }
  return out
}

/** The PRIVATE+KEY line of a key file. */
export function readSignerKeyFile(path: string): string {
  const text = readFileSync(path, 'utf8')
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'))
  if (lines.length !== 1 || !lines[0].trim().startsWith('PRIVATE+KEY+'))
    throw new Error(`${path} must hold exactly one PRIVATE+KEY+… line (lines starting with # are comments)`)
  return lines[0].trim()
}

const demoKeyId = () => parseSignerKey(readSignerKeyFile(DEMO_LOG_KEY_FILE)).keyId.toString('hex')

/** What production refuses about the log's key: none given, unreadable, or the published demo key. */
export function auditLogProblems(config: AuditLogConfig): string[] {
  if (config.keyFile === DEMO_LOG_KEY_FILE)
    return ['NUMGUARD_LOG_KEY_FILE must name the audit log signing key of your own (the demo key is refused)']
  try {
    const key = parseSignerKey(readSignerKeyFile(config.keyFile))
    if (key.keyId.toString('hex') === demoKeyId())
      return [`NUMGUARD_LOG_KEY_FILE ${config.keyFile} holds the published demo key; make a key of your own`]
    if (key.type !== 'ed25519') return [`NUMGUARD_LOG_KEY_FILE ${config.keyFile} is a witness key, not a log key`]
  } catch (err) {
    return [`NUMGUARD_LOG_KEY_FILE ${config.keyFile} cannot be used: ${(err as Error).message}`]
  }
  return []
}
