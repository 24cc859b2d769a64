// The log's side of C2SP tlog-witness: submit a signed checkpoint with a consistency proof, get cosignatures back.
import { openNote } from '../tlog/index.ts'
import { formatAddCheckpoint } from './protocol.ts'

export type WitnessSubmission = { oldSize: number; proof: readonly Buffer[]; note: string }
export type WitnessResult = { cosignatures: string[] } | { conflict: number }

/** A witness refused the checkpoint (fork, bad proof, bad signature, unknown log) or could not be reached. */
export class WitnessError extends Error {
  /** HTTP status, or 0 when the witness could not be reached or answered nonsense. */
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'WitnessError'
    this.status = status
    this.code = code
  }
}

const CODES: Record<number, string> = {
  400: 'witness_bad_request',
  403: 'witness_bad_signature',
  404: 'witness_unknown_log',
  409: 'witness_fork',
  422: 'witness_inconsistent',
}

/**
 * POSTs to `<url>/add-checkpoint`. 200 → the cosignature lines (only the ones verified by `witnessVkey` when it is
 * given); 409 with text/x.tlog.size → `{ conflict: n }`, the size the witness holds (resubmit with old n and a proof
 * from n). Every other answer throws WitnessError with the witness's own message.
 */
export async function submitToWitness(
  url: string,
  sub: WitnessSubmission,
  opts: { witnessVkey?: string; timeoutMs?: number } = {},
): Promise<WitnessResult> {
  const endpoint = `${url.replace(/\/+$/, '')}/add-checkpoint`
  let res: Response
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: formatAddCheckpoint(sub.oldSize, sub.proof, sub.note),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    })
  } catch (err) {
    throw new WitnessError(0, 'witness_unreachable', `witness ${endpoint} unreachable: ${(err as Error).message}`)
  }
  const text = await res.text()
  if (res.status === 409 && (res.headers.get('content-type') ?? '').startsWith('text/x.tlog.size')) {
    const m = /^(0|[1-9][0-9]*)\n?$/.exec(text)
    if (!m) throw new WitnessError(0, 'witness_bad_answer', `witness ${endpoint} sent a conflict without a size`)
    return { conflict: Number(m[1]) }
  }
  if (res.status !== 200) {
    const code = CODES[res.status] ?? 'witness_error'
    throw new WitnessError(res.status, code, `witness ${endpoint} refused (HTTP ${res.status}): ${text.trim()}`)
  }
  const lines = text.split(/(?<=\n)/).filter((l) => l.length > 0)
  if (lines.length === 0 || lines.some((l) => !l.startsWith('\u2014 ') || !l.endsWith('\n')))
    throw new WitnessError(0, 'witness_bad_answer', `witness ${endpoint} answered 200 without signature lines`)
  if (!opts.witnessVkey) return { cosignatures: lines }
  // Keep only what the expected witness key verifies (the spec: ignore unknown cosignatures).
  let opened: ReturnType<typeof openNote>
  try {
    opened = openNote(sub.note + lines.join(''), [opts.witnessVkey])
  } catch (err) {
    throw new WitnessError(0, 'witness_bad_answer', `witness ${endpoint}: ${(err as Error).message}`)
  }
  const ids = new Set(opened.verified.filter((v) => v.timestamp !== undefined).map((v) => `${v.name} ${v.keyId}`))
  const mine = lines.filter((l) => {
    const [name, b64] = l.slice(2, -1).split(' ')
    return ids.has(
      `${name} ${Buffer.from(b64 ?? '', 'base64')
        .subarray(0, 4)
        .toString('hex')}`,
    )
  })
  if (mine.length === 0)
    throw new WitnessError(0, 'witness_bad_answer', `witness ${endpoint} returned no cosignature by its key`)
  return { cosignatures: mine }
}
