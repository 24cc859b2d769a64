// `numguard audit verify DIR --key PUBKEY [--since CHECKPOINT] [--witness VKEY]… [--require-cosignatures N] [--json]`:
// runs offline, on files only; prints the report and exits 1 when anything fails, naming the first leaf or checkpoint that does.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { bundleHistory, formatHistory, historyJson } from './history.ts'
import { formatReport } from './report.ts'
import type { VerifyProgress } from './types.ts'
import { verifyBundle } from './verify-bundle.ts'

interface VerifyCliOptions {
  key: string
  since?: string
  witness?: string[]
  requireCosignatures?: number
  threads?: number
  json?: boolean
  history?: boolean | string
}

const threadCount = (v: string) => {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 64)
    throw new InvalidArgumentError('It must be a whole number from 1 to 64.')
  return n
}
const atLeastOne = (v: string) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
    throw new InvalidArgumentError('It must be a whole number of at least 1.')
  return Number(v)
}
const collect = (v: string, all: string[] | undefined) => [...(all ?? []), v]

/** Adds `verify` to the `audit` command group (found, or created when it is registered first). */
export function registerAuditVerify(program: Command): void {
  const audit =
    program.commands.find((c) => c.name() === 'audit') ??
    program.command('audit').description('the tamper-evident audit log: checkpoints, proofs, export, verification')
  audit
    .command('verify <dir>')
    .description(
      'verify an exported audit bundle offline: signatures, cosignatures, the tree root at every checkpoint, canonical leaves and the rules the log must show',
    )
    .requiredOption('--key <vkey|file>', "the log's verifier key, or a file holding it (public-key.txt must repeat it)")
    .option(
      '--since <file>',
      'a signed checkpoint note kept earlier (e.g. from a witness): the bundle must agree with it',
    )
    .option(
      '--witness <vkey|file>',
      'a witness key you trust: it must have cosigned a checkpoint (repeatable)',
      collect,
      [],
    )
    .option(
      '--require-cosignatures <n>',
      'the last checkpoint must be cosigned by at least n of the --witness keys (then a given witness that cosigned nothing is only a warning)',
      atLeastOne,
    )
    .option('--threads <n>', 'threads hashing leaves (default: every core)', threadCount)
    .option('--json', 'print the report as JSON')
    .option(
      '--history [msisdn]',
      "also print every number's (or one number's) states, holders and SIMs as the leaves alone rebuild them",
    )
    .action((dir: string, o: VerifyCliOptions) => runVerify(dir, o))
}

async function runVerify(dir: string, o: VerifyCliOptions): Promise<void> {
  const progress = process.stderr.isTTY && !o.json ? terminalProgress() : undefined
  const report = await verifyBundle(dir, {
    key: o.key,
    since: o.since,
    witnesses: o.witness,
    requireCosignatures: o.requireCosignatures,
    threads: o.threads,
    onProgress: progress,
  })
  const history = o.history ? await historyOf(dir, o.history) : undefined
  if (o.json)
    process.stdout.write(`${JSON.stringify(history ? { ...report, history: history.json } : report, null, 2)}\n`)
  else process.stdout.write(formatReport(report) + (history?.text ?? ''))
  if (!report.ok) process.exitCode = 1
}

/** The rebuilt history of the bundle's leaves (the file its manifest names), for one number or every one. */
async function historyOf(dir: string, which: boolean | string) {
  const msisdn = typeof which === 'string' ? which : undefined
  let leaves = 'leaves.jsonl'
  try {
    leaves = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).leaves ?? leaves
  } catch {
    // the report has already named the manifest's problem; the default name is tried
  }
  const rebuilt = await bundleHistory(dir, leaves, msisdn)
  return { text: formatHistory(rebuilt, msisdn), json: historyJson(rebuilt, msisdn) }
}

/** One self-rewriting stderr line: leaves checked of the total, at most ten times a second. */
function terminalProgress(): (p: VerifyProgress) => void {
  let shown = 0
  return (p) => {
    const now = performance.now()
    if (p.phase === 'done') return void process.stderr.write('\r\x1b[K')
    if (now - shown < 100) return
    shown = now
    const pct = p.total > 0 ? ` ${Math.floor((100 * p.leaves) / p.total)}%` : ''
    process.stderr.write(
      `\r\x1b[Kverifying ${p.phase}: ${p.leaves.toLocaleString('en')} of ${p.total.toLocaleString('en')} leaves${pct}`,
    )
  }
}
