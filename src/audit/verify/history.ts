// `numguard audit verify DIR --history [MSISDN]`: the numbers' holders, SIMs and states rebuilt from the bundle's
// leaves by the same interpreter the operator's reconciliation runs (src/audit/rebuild.ts), so a regulator compares
// the operator's claims with what the signed log alone says.
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { type HistoryStep, type RebuildLeaf, type Rebuilt, rebuildNumbers } from '../rebuild.ts'

/** The bundle's leaves, parsed, in log order; a line that is not JSON is skipped (the verification names it). */
async function* bundleLeaves(file: string): AsyncGenerator<RebuildLeaf> {
  let index = 0
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
    const i = index++
    let leaf: Record<string, unknown>
    try {
      leaf = JSON.parse(line)
    } catch {
      continue
    }
    yield {
      index: i,
      event_id: String(leaf.event_id),
      at: String(leaf.at),
      action: String(leaf.action),
      msisdn: typeof leaf.msisdn === 'string' ? leaf.msisdn : null,
      after: leaf.after,
    }
  }
}

/** Rebuilds every number (or one) of the bundle at `dir` (its manifest names the leaves file), with its history. */
export async function bundleHistory(dir: string, leavesFile: string, msisdn?: string): Promise<Rebuilt> {
  const leaves: RebuildLeaf[] = []
  for await (const leaf of bundleLeaves(join(dir, leavesFile))) leaves.push(leaf)
  return rebuildNumbers(leaves, msisdn ? (m) => m === msisdn : true)
}

const step = (s: HistoryStep) =>
  `  ${String(s.index).padStart(8)}  ${s.at}  ${s.action.padEnd(32)} ${s.state.padEnd(10)} holder ${s.holder ?? '—'}  custody ${s.custodyId ?? '—'}  sim ${s.iccid ?? '—'}`

/** One block per number: each leaf that moved it, then where it stands. */
export function formatHistory(rebuilt: Rebuilt, msisdn?: string): string {
  const numbers = [...rebuilt.numbers.values()]
    .filter((n) => !msisdn || n.msisdn === msisdn)
    .sort((a, b) => (a.msisdn < b.msisdn ? -1 : 1))
  const lines = [
    `history rebuilt from ${rebuilt.leavesRead.toLocaleString('en')} leaves: ${numbers.length} number${numbers.length === 1 ? '' : 's'} moved by a leaf, ${rebuilt.ranges.length} range${rebuilt.ranges.length === 1 ? '' : 's'} imported`,
  ]
  if (msisdn && numbers.length === 0) lines.push(`${msisdn}: no leaf moves this number`)
  for (const n of numbers) {
    lines.push(
      `${n.msisdn}: ${n.state}, holder ${n.holder ?? '—'}, custody ${n.custodyId ?? '—'}, sim ${n.iccid ?? '—'} (last leaf ${n.last.index})`,
    )
    for (const s of n.history) lines.push(step(s))
  }
  return `${lines.join('\n')}\n`
}

/** The history as JSON: per number, its final state and steps. */
export function historyJson(rebuilt: Rebuilt, msisdn?: string) {
  return [...rebuilt.numbers.values()].filter((n) => !msisdn || n.msisdn === msisdn).map(({ stated: _, ...n }) => n)
}
