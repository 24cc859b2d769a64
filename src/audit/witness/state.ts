// The witness's memory: the latest checkpoint it cosigned per origin, and evidence of misbehaviour it refused.
// Written atomically (temp file, fsync, rename, fsync of the directory) before any answer leaves the witness.
import { open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export const STATE_FORMAT = 'numguard-witness-state/1'
const MAX_EVIDENCE = 200

export type LogState = {
  size: number
  /** base64 root hash at `size`. */
  rootHash: string
  /** The signed checkpoint note as accepted, with this witness's cosignature line appended. */
  note: string
  /** POSIX seconds of the cosignature. */
  cosignedAt: number
}
export type Evidence = {
  kind: 'fork' | 'inconsistent'
  origin: string
  at: number
  /** What the witness held when it refused. */
  held: { size: number; rootHash: string }
  /** The signed request body it refused (old size line, proof and note). */
  request: string
  reason: string
}
export type WitnessState = { format: typeof STATE_FORMAT; logs: Record<string, LogState>; evidence: Evidence[] }

export class WitnessStateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WitnessStateError'
  }
}

export const emptyState = (): WitnessState => ({ format: STATE_FORMAT, logs: {}, evidence: [] })

/**
 * Loads the state file; a missing file is a fresh witness. A file that cannot be read as the witness's state is
 * refused rather than reset: starting empty would let a truncated or forked log be cosigned.
 */
export async function loadState(file: string): Promise<WitnessState> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
    throw err
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new WitnessStateError(`witness state file ${file} is not JSON; restore it from a backup (never delete it)`)
  }
  const state = data as WitnessState
  if (!state || state.format !== STATE_FORMAT || typeof state.logs !== 'object' || !Array.isArray(state.evidence))
    throw new WitnessStateError(`witness state file ${file} is not in the ${STATE_FORMAT} format`)
  for (const [origin, log] of Object.entries(state.logs))
    if (
      !Number.isSafeInteger(log.size) ||
      log.size < 0 ||
      typeof log.rootHash !== 'string' ||
      typeof log.note !== 'string'
    )
      throw new WitnessStateError(`witness state file ${file}: the entry for origin "${origin}" is damaged`)
  return state
}

/** Keeps the newest evidence when the list grows past its cap (each entry holds a full request). */
export function addEvidence(state: WitnessState, e: Evidence): void {
  state.evidence.push(e)
  if (state.evidence.length > MAX_EVIDENCE) state.evidence.splice(0, state.evidence.length - MAX_EVIDENCE)
}

export async function saveState(file: string, state: WitnessState): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(`${JSON.stringify(state, null, 1)}\n`)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  const dir = await open(dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/**
 * One witness process per state file: a lock file holding the pid. A lock left by a process that is gone is taken
 * over; a live one refuses the start.
 */
export async function lockStateFile(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx', 0o600)
      await fh.writeFile(String(process.pid))
      await fh.close()
      return () => rm(lock, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim())
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid))
        throw new WitnessStateError(`witness state file ${file} is in use by process ${pid} (lock ${lock})`)
      await rm(lock, { force: true })
    }
  }
  throw new WitnessStateError(`could not lock ${lock}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
