// Everything of a bundle but its leaves: the manifest, the keys (the caller's, the bundle's, the witnesses'), every
// signed checkpoint and an earlier checkpoint kept by the caller. Small files, read whole; problems are collected.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { openCheckpoint } from '../tlog/checkpoint.ts'
import { parseVerifierKey } from '../tlog/keys.ts'
import type { Problems, WitnessSummary } from './types.ts'
import { BUNDLE_FORMAT } from './vocabulary.ts'

export interface Manifest {
  origin: string
  size: number
  leaves: string
  checkpoints: string
}
export interface Key {
  vkey: string
  name: string
  keyId: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const isFile = (p: string) => existsSync(p) && statSync(p).isFile()

/** A note or key given as text or as the path of a file holding it (a note has newlines; a key has a '+'). */
export function textOrFile(value: string, what: 'note' | 'key'): string {
  const text = what === 'note' ? value.includes('\n') : !isFile(value) && value.includes('+')
  if (text) return value
  try {
    return readFileSync(value, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(`cannot read ${value}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`)
  }
}

/** The one key line of a key file or text: blank lines and # comments are skipped. */
function keyLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))
  if (lines.length !== 1) throw new Error(`expected one verifier key line, found ${lines.length}`)
  return lines[0].trim()
}

export function parseKey(vkey: string, type: 'ed25519' | 'cosignature'): Key {
  const k = parseVerifierKey(vkey)
  if (k.type !== type)
    throw new Error(
      `${k.name} is a ${k.type === 'ed25519' ? 'log' : 'witness'} key, not a ${type === 'ed25519' ? 'log' : 'witness'} key`,
    )
  return { vkey, name: k.name, keyId: k.keyId.toString('hex') }
}

export function readBundleFile(dir: string, name: string, problems: Problems): string | null {
  try {
    return utf8.decode(readFileSync(join(dir, name)))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'the file is missing' : code ? `cannot read it (${code})` : 'it is not valid UTF-8'
    problems.fail({ where: name, message: why })
    return null
  }
}

const plainName = (v: unknown): v is string => typeof v === 'string' && /^[^/\\]+$/.test(v) && v !== '.' && v !== '..'

export function readManifest(dir: string, problems: Problems): Manifest | null {
  const text = readBundleFile(dir, 'manifest.json', problems)
  if (text === null) return null
  const fail = (message: string) => {
    problems.fail({ where: 'manifest.json', message })
    return null
  }
  let m: Record<string, unknown>
  try {
    m = JSON.parse(text)
  } catch (err) {
    return fail(`not JSON (${(err as Error).message})`)
  }
  if (!m || typeof m !== 'object') return fail('not a JSON object')
  if (m.format !== BUNDLE_FORMAT) return fail(`format is ${JSON.stringify(m.format)}, expected "${BUNDLE_FORMAT}"`)
  if (typeof m.origin !== 'string' || !m.origin) return fail('origin is missing')
  if (typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0)
    return fail(`size ${JSON.stringify(m.size)} is not a whole number`)
  if (!plainName(m.leaves)) return fail('leaves must name a file inside the bundle')
  if (!plainName(m.checkpoints)) return fail('checkpoints must name a file inside the bundle')
  return { origin: m.origin, size: m.size, leaves: m.leaves, checkpoints: m.checkpoints }
}

/** The caller's log key, which public-key.txt must repeat exactly. */
export function readLogKey(dir: string, given: string, problems: Problems): Key | null {
  let key: Key
  try {
    key = parseKey(keyLine(textOrFile(given, 'key')), 'ed25519')
  } catch (err) {
    problems.fail({ where: 'key', message: `the key given is not a log verifier key: ${(err as Error).message}` })
    return null
  }
  const own = readBundleFile(dir, 'public-key.txt', problems)
  if (own !== null && own !== key.vkey && own !== `${key.vkey}\n`)
    problems.fail({
      where: 'public-key.txt',
      message: `the bundle's key ${JSON.stringify(own.trim().slice(0, 120))} is not the key given (${key.vkey})`,
    })
  return key
}

/** witnesses.txt (the bundle's own list) and the witnesses the caller trusts. */
export function readWitnesses(
  dir: string | null,
  trusted: readonly string[],
  problems: Problems,
): Map<string, WitnessSummary & Key> {
  const out = new Map<string, WitnessSummary & Key>()
  const add = (vkey: string, source: 'bundle' | 'trusted', where: string) => {
    try {
      const k = parseKey(vkey, 'cosignature')
      const id = `${k.name} ${k.keyId}`
      const had = out.get(id)
      out.set(id, { ...k, source: had?.source === 'trusted' ? 'trusted' : source, cosigned: 0, latestSize: null })
    } catch (err) {
      problems.fail({ where, message: `not a witness verifier key: ${(err as Error).message}` })
    }
  }
  const listed = dir === null ? null : readBundleFile(dir, 'witnesses.txt', problems)
  listed?.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return
    if (line !== line.trim()) problems.fail({ where: `witnesses.txt line ${i + 1}`, message: 'spaces around the key' })
    else add(line, 'bundle', `witnesses.txt line ${i + 1}`)
  })
  trusted.forEach((w, i) => {
    try {
      add(keyLine(textOrFile(w, 'key')), 'trusted', `witness ${i + 1} given`)
    } catch (err) {
      problems.fail({ where: `witness ${i + 1} given`, message: (err as Error).message })
    }
  })
  return out
}

/** The caller's earlier checkpoint: it must be signed by the log key (cosignatures by unknown witnesses are fine). */
export function readSince(since: string, key: Key | null, origin: string | null, problems: Problems) {
  if (!key) return null
  try {
    const note = textOrFile(since, 'note')
    const opened = openCheckpoint(Buffer.from(note, 'utf8'), key.vkey, origin ? { origin } : {})
    return { size: opened.size, root: opened.rootHash }
  } catch (err) {
    problems.fail({ where: 'since', message: `the checkpoint kept earlier does not open: ${(err as Error).message}` })
    return null
  }
}
