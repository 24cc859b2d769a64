// The second step of a CLI sign-in: the TOTP code of a staff member whose role needs MFA (or who enrolled).
// On a terminal the code is asked for (at a first sign-in, after showing the secret to enrol); without one it
// comes from NUMGUARD_TOTP_CODE, or is computed from NUMGUARD_TOTP_SECRET (automation, and the demo accounts'
// published demo secrets).
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { base32Decode, TOTP_STEP_SECONDS, totp } from '../access/index.ts'
import type { Api } from './api-client.ts'
import { ApiError, CliError } from './errors.ts'
import { canPrompt } from './prompt.ts'

export interface SignInAnswer {
  status?: 'signed_in' | 'mfa_required' | 'mfa_enrolment_required'
  token: string
  staff?: { username: string; roles: string[] }
  enrolment?: { secret: string; otpauth_uri: string }
}

export interface CodeSources {
  /** A code given on the command line or in NUMGUARD_TOTP_CODE. */
  code?: string
  /** NUMGUARD_TOTP_SECRET: the base32 secret the code is computed from. */
  secret?: string
  /** Ask on the terminal when neither is given. */
  interactive: boolean
}

export function codeSourcesFromEnv(interactive: boolean, code?: string): CodeSources {
  return {
    code: code ?? process.env.NUMGUARD_TOTP_CODE ?? undefined,
    secret: process.env.NUMGUARD_TOTP_SECRET || undefined,
    interactive: interactive && canPrompt(),
  }
}

function askLine(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true, historySize: 0 })
  return new Promise((resolve, reject) => {
    rl.question(prompt, (line) => {
      rl.close()
      const code = line.replace(/\s/g, '')
      if (code === '') reject(new CliError('no code given'))
      else resolve(code)
    })
    rl.on('SIGINT', () => {
      rl.close()
      reject(new CliError('cancelled'))
    })
  })
}

async function codeFor(answer: SignInAnswer, sources: CodeSources): Promise<string> {
  const enrolment = answer.enrolment
  if (enrolment) {
    console.error('numguard: this account must enrol an authenticator app (TOTP) before it can be used.')
    console.error(`  secret:      ${enrolment.secret}`)
    console.error(`  otpauth URI: ${enrolment.otpauth_uri}`)
    console.error('  Add it to your authenticator app (or a password manager), then type the 6-digit code it shows.')
    if (sources.secret && sources.secret.replace(/\s/g, '').toUpperCase() !== enrolment.secret) {
      throw new CliError('NUMGUARD_TOTP_SECRET is not the secret offered for enrolment: set it to the secret above')
    }
  }
  if (sources.code) return sources.code
  if (sources.secret) return totp(base32Decode(sources.secret), new Date())
  if (sources.interactive) return askLine('code from your authenticator app: ')
  throw new CliError(
    enrolment
      ? 'MFA enrolment needs a code: run `numguard login` on a terminal, or set NUMGUARD_TOTP_SECRET to the secret above'
      : 'this account needs an MFA code: run on a terminal, or set NUMGUARD_TOTP_CODE (or NUMGUARD_TOTP_SECRET)',
  )
}

const STEP_MS = TOTP_STEP_SECONDS * 1000

/**
 * Completes a sign-in that asks for a code; returns the signed-in answer (its token replaces the waiting one).
 * A code computed from NUMGUARD_TOTP_SECRET that the server already took (two commands within 30 seconds) is
 * followed by the next step's code, then, if that was taken too, by the one after the next step begins.
 */
export async function finishSignIn(api: Api, answer: SignInAnswer, sources: CodeSources): Promise<SignInAnswer> {
  if (!answer.status || answer.status === 'signed_in') return answer
  const first = await codeFor(answer, sources)
  const waiting = api.token
  api.token = answer.token
  try {
    const send = (code: string) => api.request<SignInAnswer>('POST', '/api/v1/auth/mfa', { code })
    if (sources.code || !sources.secret) return await send(first)
    const secret = base32Decode(sources.secret)
    const start = Math.floor(Date.now() / STEP_MS)
    for (let attempt = 0; ; attempt++) {
      try {
        if (attempt === 0) return await send(first)
        if (attempt === 1) return await send(totp(secret, new Date((start + 1) * STEP_MS)))
        console.error('numguard: the current codes were used already; waiting for the next one (up to 30 s)')
        await sleep(Math.max(0, (start + 1) * STEP_MS - Date.now()) + 500)
        return await send(totp(secret, new Date((start + 2) * STEP_MS)))
      } catch (err) {
        const replayed = err instanceof ApiError && err.details.reason === 'replayed_code'
        if (!replayed || attempt >= 2) throw err
      }
    }
  } finally {
    api.token = waiting
  }
}
