// The witness itself: checks a submission against what it holds, persists, then cosigns. One submission at a time,
// so checking the old size and storing the new checkpoint are atomic (the rollback race in the spec cannot happen).
import { cosignCheckpoint, NoteError, openNote, parseSignerKey, parseVerifierKey } from '../tlog/index.ts'
import { BadRequest, decide, parseAddCheckpoint, readCheckpoint } from './protocol.ts'
import { addEvidence, saveState, type WitnessState } from './state.ts'

export type WitnessLogConfig = { origin: string; vkey: string }
export type WitnessLogger = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
export type WitnessReply = { status: number; contentType: string; body: string }

const text = (status: number, body: string): WitnessReply => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: body.endsWith('\n') ? body : `${body}\n`,
})

export class Witness {
  readonly name: string
  private readonly skey: string
  private readonly stateFile: string
  private readonly state: WitnessState
  private readonly keysByOrigin = new Map<string, string[]>()
  private readonly now: () => number
  private readonly log: WitnessLogger
  private queue: Promise<unknown> = Promise.resolve()

  constructor(opts: {
    witnessSkey: string
    stateFile: string
    state: WitnessState
    logs: readonly WitnessLogConfig[]
    now: () => number
    log: WitnessLogger
  }) {
    const key = parseSignerKey(opts.witnessSkey)
    if (key.type !== 'cosignature')
      throw new NoteError(`the witness key ${key.name} must be a witness (cosignature, type 0x04) key`)
    this.name = key.name
    this.skey = opts.witnessSkey
    this.stateFile = opts.stateFile
    this.state = opts.state
    this.now = opts.now
    this.log = opts.log
    for (const l of opts.logs) {
      const k = parseVerifierKey(l.vkey)
      if (k.type !== 'ed25519')
        throw new NoteError(`log key ${k.name} for origin "${l.origin}" is not an Ed25519 note key`)
      this.keysByOrigin.set(l.origin, [...(this.keysByOrigin.get(l.origin) ?? []), l.vkey])
    }
  }

  /** The latest cosigned checkpoint note for an origin (with this witness's cosignature), if any. */
  latest(origin: string): string | undefined {
    return this.state.logs[origin]?.note
  }

  /** Handles one add-checkpoint request body; submissions are serialised. */
  addCheckpoint(body: Buffer): Promise<WitnessReply> {
    const run = this.queue.then(() => this.handle(body))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async handle(body: Buffer): Promise<WitnessReply> {
    let req: ReturnType<typeof parseAddCheckpoint>
    let cp: ReturnType<typeof readCheckpoint>
    try {
      req = parseAddCheckpoint(body)
      cp = readCheckpoint(req.note)
    } catch (err) {
      if (err instanceof BadRequest) return text(400, err.message)
      throw err
    }
    const keys = this.keysByOrigin.get(cp.origin)
    if (!keys) return text(404, `unknown log origin "${cp.origin}"`)
    let noteBody: string
    try {
      noteBody = openNote(req.note, keys).body
    } catch (err) {
      if (!(err instanceof NoteError)) throw err
      this.log('warn', 'witness: checkpoint signature refused', {
        origin: cp.origin,
        size: cp.size,
        reason: err.message,
      })
      return text(403, `the checkpoint is not validly signed by a key of "${cp.origin}": ${err.message}`)
    }
    const held = this.state.logs[cp.origin]
    const heldView = held && { size: held.size, rootHash: Buffer.from(held.rootHash, 'base64') }
    const decision = decide(heldView, req, cp)
    const fields = { origin: cp.origin, old: req.oldSize, size: cp.size, held: held?.size ?? 0 }
    switch (decision.kind) {
      case 'bad_request':
        return text(400, decision.message)
      case 'conflict':
        if (cp.size < decision.size)
          this.log('warn', 'witness: a checkpoint smaller than the one cosigned (truncation or stale)', fields)
        return { status: 409, contentType: 'text/x.tlog.size', body: `${decision.size}\n` }
      case 'fork':
      case 'inconsistent': {
        // A validly signed checkpoint that contradicts what was cosigned is proof of log misbehaviour: keep it.
        this.log('error', `WITNESS ALERT: ${decision.kind === 'fork' ? 'FORKED LOG' : 'INCONSISTENT LOG'}`, {
          ...fields,
          reason: decision.message,
        })
        addEvidence(this.state, {
          kind: decision.kind,
          origin: cp.origin,
          at: this.now(),
          held: { size: held?.size ?? 0, rootHash: held?.rootHash ?? '' },
          request: body.toString('utf8'),
          reason: decision.message,
        })
        await saveState(this.stateFile, this.state)
        return decision.kind === 'fork' ? text(409, decision.message) : text(422, decision.message)
      }
      case 'accept':
        break
    }
    const at = this.now()
    const line = cosignCheckpoint(noteBody, this.skey, at)
    const previous = held
    this.state.logs[cp.origin] = {
      size: cp.size,
      rootHash: cp.rootHash.toString('base64'),
      note: req.note.toString('utf8') + line,
      cosignedAt: at,
    }
    try {
      await saveState(this.stateFile, this.state) // persisted before the cosignature leaves
    } catch (err) {
      if (previous) this.state.logs[cp.origin] = previous
      else delete this.state.logs[cp.origin]
      throw err
    }
    this.log('info', 'witness: cosigned', { ...fields, cosigned_at: at })
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: line }
  }
}
