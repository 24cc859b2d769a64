// The signer signs only for the origin its key was made for (`numguard audit keygen ORIGIN` names the key after it):
// a key for one log configured with another origin is refused when loaded, and at start by openApp.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config.ts'
import { openApp, StartupRefusedError } from '../runtime.ts'
import { DEFAULT_LOG_ORIGIN } from './log-config.ts'
import { loadSigner, SignerOriginError } from './signer.ts'
import { generateSignerKey } from './tlog/keys.ts'
import { parseCheckpoint, parseNote } from './tlog/note.ts'

const dir = mkdtempSync(join(tmpdir(), 'numguard-signer-'))
const keyFile = join(dir, 'log.key')
writeFileSync(keyFile, `${generateSignerKey('operator.example/log').skey}\n`)

describe('the signer and its origin', () => {
  it('refuses an origin its key was not made for, saying which origin the key is for', () => {
    expect(() => loadSigner({ keyFile, origin: 'other.example/log' })).toThrow(SignerOriginError)
    expect(() => loadSigner({ keyFile, origin: 'other.example/log' })).toThrow(
      'the audit log key ' +
        `${keyFile} was made for the origin "operator.example/log", not "other.example/log": set ` +
        'NUMGUARD_LOG_ORIGIN=operator.example/log, or make a key for "other.example/log"',
    )
    // The default origin is the demo key's: an operator's key without NUMGUARD_LOG_ORIGIN is refused too.
    expect(() => loadSigner({ keyFile })).toThrow(`not "${DEFAULT_LOG_ORIGIN}"`)
  })

  it('signs checkpoints of the origin its key was made for', () => {
    const signer = loadSigner({ keyFile, origin: 'operator.example/log' })
    const note = signer.sign('operator.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n')
    expect(parseCheckpoint(parseNote(note).body).origin).toBe('operator.example/log')
    expect(loadSigner({}).origin).toBe(DEFAULT_LOG_ORIGIN) // the demo key is made for the demo origin
  })

  it('openApp refuses the mismatch at start, in one line, before opening the database', async () => {
    const config = loadConfig({
      NUMGUARD_LOG_KEY_FILE: keyFile,
      NUMGUARD_LOG_ORIGIN: 'other.example/log',
      NUMGUARD_DATA: join(dir, 'never-created'),
    })
    const err = await openApp(config).catch((e) => e)
    expect(err).toBeInstanceOf(StartupRefusedError)
    expect(err.message).toMatch(/^numguard refuses to start: the audit log key .* was made for the origin/)
  })
})
