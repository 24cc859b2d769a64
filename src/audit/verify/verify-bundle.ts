// The offline verifier: `verifyBundle(dir, { key })` checks an exported audit bundle with nothing but Node's crypto
// and the tlog core — signatures and cosignatures, the tree root recomputed at every checkpoint size, consistency
// with a checkpoint kept earlier, canonical leaves, and the rules the log must show.
import { existsSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { readCheckpoints, type SignedCheckpoint, type UnknownSigners } from './checkpoints.ts'
import { type Key, type Manifest, readLogKey, readManifest, readSince, readWitnesses } from './inputs.ts'
import { WorkerPool } from './pool.ts'
import { scanLeaves, type Target } from './scan-leaves.ts'
import { type CheckpointSummary, Problems, type VerifyOptions, type VerifyReport } from './types.ts'

const b64 = (b: Buffer) => b.toString('base64')
const SMALL_BUNDLE_BYTES = 4_000_000

export async function verifyBundle(dir: string, options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now()
  const problems = new Problems()
  const isBundle = existsSync(dir) && statSync(dir).isDirectory()
  if (!isBundle)
    problems.fail({
      where: 'bundle',
      message: `${resolve(dir)} is not a directory (give the directory \`numguard audit export\` wrote)`,
    })
  const manifest = isBundle ? readManifest(dir, problems) : null
  const threads = threadsFor(manifest ? join(dir, manifest.leaves) : null, options.threads)
  const key = isBundle ? readLogKey(dir, options.key, problems) : null
  const witnesses = readWitnesses(isBundle ? dir : null, options.witnesses ?? [], problems)
  options.onProgress?.({ phase: 'checkpoints', leaves: 0, total: manifest?.size ?? 0 })
  const pool = threads > 1 ? new WorkerPool(threads) : null
  try {
    return await verifyWith(pool, { dir, options, problems, manifest, key, witnesses, threads, started })
  } finally {
    await pool?.close()
  }
}

interface Context {
  dir: string
  options: VerifyOptions
  problems: Problems
  manifest: Manifest | null
  key: Key | null
  witnesses: Awaited<ReturnType<typeof readWitnesses>>
  threads: number
  started: number
}

async function verifyWith(pool: WorkerPool | null, c: Context): Promise<VerifyReport> {
  const { dir, options, problems, manifest, key, witnesses, threads } = c
  const unknown: UnknownSigners = new Map()
  const policy = cosignaturePolicy(options, witnesses, problems)
  const signed = manifest
    ? await readCheckpoints(dir, manifest, key, witnesses, problems, { pool, threads }, unknown)
    : []
  const since = options.since !== undefined ? readSince(options.since, key, manifest?.origin ?? null, problems) : null
  const checkpoints: CheckpointSummary[] = signed.map((c) => ({
    size: c.size,
    root: b64(c.root),
    cosignedBy: c.cosignedBy.map((w) => w.name),
  }))
  const report: VerifyReport = {
    ok: false,
    dir: resolve(dir),
    origin: manifest?.origin ?? null,
    key: key ? { name: key.name, keyId: key.keyId } : null,
    size: manifest?.size ?? null,
    leaves: 0,
    checkpoints,
    witnesses: [...witnesses.values()].map(({ vkey: _, ...w }) => w),
    unknownSignatures: [...unknown.values()],
    cosignaturePolicy: policy === null ? null : { required: policy, size: null },
    since: since ? { size: since.size, root: b64(since.root), consistent: null } : null,
    rules: { staffLeaves: 0, signIns: 0, requestsExecuted: 0, withdrawals: 0, noticesEvidenced: 0 },
    failures: problems.failures,
    moreFailures: 0,
    warnings: problems.warnings,
    moreWarnings: 0,
    threads,
    seconds: 0,
  }
  if (manifest) {
    checkLastCheckpoint(manifest, signed, problems)
    const targets: Target[] = signed.map((c, i) => ({ size: c.size, root: c.root, checkpoint: checkpoints[i] }))
    if (since) targets.push({ size: since.size, root: since.root, since: true })
    targets.sort((a, b) => a.size - b.size || (a.since ? 1 : 0) - (b.since ? 1 : 0))
    const rules = await scanLeaves(
      join(dir, manifest.leaves),
      manifest,
      targets,
      { pool, threads },
      problems,
      options,
      report,
    )
    report.rules = { ...rules.counts }
    checkWitnesses(report, problems)
    checkCosignaturePolicy(manifest, signed, report, problems)
    checkExtent(manifest, signed, targets, report, problems)
  }
  report.moreFailures = problems.moreFailures
  report.moreWarnings = problems.moreWarnings
  report.ok = !problems.failed
  report.seconds = (performance.now() - c.started) / 1000
  options.onProgress?.({ phase: 'done', leaves: report.leaves, total: manifest?.size ?? report.leaves })
  return report
}

/** By default every core, but worker threads pay off only past a few chunks: a small bundle is checked here. */
function threadsFor(leaves: string | null, asked: number | undefined): number {
  if (asked !== undefined) return Math.max(1, Math.floor(asked))
  const bytes = leaves && existsSync(leaves) ? statSync(leaves).size : 0
  return bytes < SMALL_BUNDLE_BYTES ? 1 : availableParallelism()
}

function checkLastCheckpoint(manifest: Manifest, signed: SignedCheckpoint[], problems: Problems): void {
  const last = signed[signed.length - 1]
  if (last && last.size !== manifest.size)
    problems.fail({
      where: 'manifest.json',
      message: `size ${manifest.size}, but the last checkpoint that verifies has size ${last.size}`,
    })
}

/** `requireCosignatures`, checked against the witnesses given: at least one, and no more than were given. */
function cosignaturePolicy(options: VerifyOptions, witnesses: Context['witnesses'], problems: Problems) {
  const n = options.requireCosignatures
  if (n === undefined) return null
  const given = [...witnesses.values()].filter((w) => w.source === 'trusted').length
  if (!Number.isSafeInteger(n) || n < 1)
    problems.fail({ where: 'require-cosignatures', message: `${n} is not a whole number of at least 1` })
  else if (n > given)
    problems.fail({
      where: 'require-cosignatures',
      message: `${n} cosignature${n === 1 ? '' : 's'} required, but ${given === 0 ? 'no witness key was' : `only ${given} witness keys were`} given (--witness KEY)`,
    })
  return n
}

/**
 * N of the witnesses given must have cosigned the checkpoint that vouches for every leaf: the largest checkpoint
 * they cosigned vouches only for the leaves below its size. The bundle's own witnesses.txt never counts.
 */
function checkCosignaturePolicy(
  manifest: Manifest,
  signed: SignedCheckpoint[],
  report: VerifyReport,
  problems: Problems,
): void {
  const policy = report.cosignaturePolicy
  if (!policy) return
  const trustedCosigners = (c: SignedCheckpoint) => c.cosignedBy.filter((w) => w.source === 'trusted').length
  const covered = signed.filter((c) => trustedCosigners(c) >= policy.required).at(-1)
  policy.size = covered?.size ?? null
  if (covered && covered.size >= manifest.size) return
  const last = signed.at(-1)
  problems.fail({
    where: 'require-cosignatures',
    message: covered
      ? `the last checkpoint (size ${last?.size}) has ${last ? trustedCosigners(last) : 0} of the ${policy.required} cosignatures required from the witnesses given; the largest checkpoint that has them is size ${covered.size}, so leaves ${covered.size}..${manifest.size - 1} are vouched for by the log alone`
      : `no checkpoint has ${policy.required} cosignature${policy.required === 1 ? '' : 's'} by the witnesses given`,
    size: last?.size,
  })
}

function checkWitnesses(report: VerifyReport, problems: Problems): void {
  for (const w of report.witnesses) {
    if (w.cosigned > 0) continue
    // Under an N-of-M policy a given witness that cosigned nothing is allowed: the policy decides.
    if (w.source === 'trusted' && report.cosignaturePolicy)
      problems.warn({ where: `witness ${w.name}`, message: 'given, but it cosigned no checkpoint of this bundle' })
    else if (w.source === 'trusted')
      problems.fail({ where: `witness ${w.name}`, message: 'it cosigned no checkpoint of this bundle' })
    else
      problems.warn({ where: `witness ${w.name}`, message: 'listed in witnesses.txt, but it cosigned no checkpoint' })
  }
}

/** Leaves missing (a truncated file) or beyond the last checkpoint (signed by nothing). */
function checkExtent(
  manifest: Manifest,
  signed: SignedCheckpoint[],
  targets: Target[],
  r: VerifyReport,
  problems: Problems,
) {
  const n = r.leaves
  for (const t of targets) {
    if (t.size <= n) continue
    if (t.since)
      problems.fail({
        where: 'since',
        message: `the log was rewritten: the checkpoint kept earlier has size ${t.size}, but this bundle holds ${n} leaves (the log was truncated or the bundle is)`,
        size: t.size,
      })
    else
      problems.fail({
        where: `checkpoint size ${t.size}`,
        message: `${manifest.leaves} ends after ${n} leaves (truncated)`,
        size: t.size,
      })
  }
  if (n < manifest.size)
    problems.fail({
      where: manifest.leaves,
      message: `it holds ${n} leaves, the manifest says ${manifest.size} (truncated)`,
    })
  const lastSize = signed.length > 0 ? signed[signed.length - 1].size : 0
  if (n > lastSize)
    problems.fail({
      where: manifest.leaves,
      message: `leaves ${lastSize}..${n - 1} come after the last signed checkpoint (size ${lastSize}): no signature vouches for them`,
    })
}

export type { Key }
