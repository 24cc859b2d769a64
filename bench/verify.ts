// Verifies a 1,000,000-leaf audit bundle offline (`verifyBundle`: signatures, canonical leaves, the root at every
// checkpoint size on all cores, the business rules) against the plain way of recomputing the same root: one
// thread hashing every leaf (SHA-256 over the same bytes) and folding the tree, with no other check.
// `npm run bench -- verify [--leaves N] [--threads N] [--checkpoint-every N] [--keep DIR]`.
import { randomUUID } from 'node:crypto'
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { leafHash } from '../src/audit/tlog/hash.ts'
import {
  cosignCheckpoint,
  formatCheckpoint,
  generateSignerKey,
  generateWitnessKey,
  signNote,
} from '../src/audit/tlog/note.ts'
import { canonicalJson } from '../src/audit/verify/canonical.ts'
import { MerkleStack } from '../src/audit/verify/tree.ts'
import { verifyBundle } from '../src/audit/verify/verify-bundle.ts'
import { BUNDLE_FORMAT, LEAF_VERSION } from '../src/audit/verify/vocabulary.ts'
import { type BenchContext, type BenchResult, cpuSecondsSince, machineLoad, secondsSince } from './lib/result.ts'

export const description = 'offline verification of a 1,000,000-leaf audit bundle vs single-threaded leaf hashing'

const ORIGIN = 'numguard.bench/log'
const LIMIT_SECONDS = 10
/** A checkpoint per integration batch: ~4 a second at 1,000 leaves/s (the log's pace), every 10th cosigned. */
const CHECKPOINT_EVERY = 250
const COSIGN_EVERY = 10

export async function run({ args, log }: BenchContext): Promise<BenchResult> {
  const leaves = numberArg(args, '--leaves') ?? 1_000_000
  const threads = numberArg(args, '--threads') ?? availableParallelism()
  const keep = stringArg(args, '--keep')
  const every = numberArg(args, '--checkpoint-every') ?? CHECKPOINT_EVERY
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'numguard-bench-verify-'))
  try {
    log('database: none (the verifier reads files only)')
    log(machineLoad())
    const made = performance.now()
    const { key, witness } = writeBundle(dir, leaves, every)
    const bytes = statSync(join(dir, 'leaves.jsonl')).size
    log(
      `bundle: ${leaves.toLocaleString('en')} leaves, ${(bytes / 1e6).toFixed(0)} MB, written in ${secondsSince(made).toFixed(1)} s to ${dir}`,
    )

    const baselineStart = performance.now()
    const baselineRoot = await hashLeavesOneThread(join(dir, 'leaves.jsonl'))
    const baseline = secondsSince(baselineStart)
    log(`baseline: ${baseline.toFixed(2)} s — one thread, leaf hashes + tree root, no checks`)

    const cpu = process.cpuUsage()
    const report = await verifyBundle(dir, { key, threads, witnesses: [witness] })
    const cpuSeconds = cpuSecondsSince(cpu)
    if (!report.ok)
      throw new Error(`the bundle does not verify: ${report.failures[0]?.where}: ${report.failures[0]?.message}`)
    const last = report.checkpoints[report.checkpoints.length - 1]
    if (last.root !== baselineRoot.toString('base64')) throw new Error('the baseline root differs from the checkpoint')
    const r = report.rules
    const cosigned = report.checkpoints.filter((c) => c.cosignedBy.length > 0).length
    log(
      `verify: ${report.seconds.toFixed(2)} s on ${threads} threads — ${count(report.checkpoints.length)} checkpoints (${count(cosigned)} cosigned), ` +
        `${r.staffLeaves.toLocaleString('en')} staff leaves, ${r.signIns.toLocaleString('en')} sign-ins, ` +
        `${r.requestsExecuted.toLocaleString('en')} executed requests, ${r.withdrawals.toLocaleString('en')} withdrawals`,
    )
    log(
      `  ${Math.round(leaves / report.seconds).toLocaleString('en')} leaves/s; ${(bytes / 1e6 / report.seconds).toFixed(0)} MB/s`,
    )
    log(
      `  CPU of this process, all threads: ${cpuSeconds.toFixed(2)} s (${(cpuSeconds / report.seconds).toFixed(2)} cores busy on average)`,
    )
    log(`load average at the end: ${loadavg()[0].toFixed(2)}`)
    return {
      figure: { value: report.seconds, unit: 's' },
      baseline: { value: baseline, unit: 's' },
      ratio: baseline / report.seconds,
      targets: [
        ...(leaves >= 1_000_000
          ? [
              {
                name: '1,000,000 leaves under 10 s',
                met: report.seconds < LIMIT_SECONDS,
                detail: `${report.seconds.toFixed(2)} s (want < ${LIMIT_SECONDS} s)`,
              },
            ]
          : []),
      ],
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true })
  }
}

const count = (n: number) => n.toLocaleString('en')
const numberArg = (args: string[], name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : undefined
}
const stringArg = (args: string[], name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

/** The plain way: one thread reads the file, hashes each line as a leaf and folds the tree. */
async function hashLeavesOneThread(path: string): Promise<Buffer> {
  const stack = new MerkleStack()
  let carry: Buffer = Buffer.alloc(0)
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = carry.length ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer)
    let from = 0
    for (let nl = buf.indexOf(10, from); nl >= 0; nl = buf.indexOf(10, from)) {
      stack.push(0, leafHash(buf.subarray(from, nl)))
      from = nl + 1
    }
    carry = buf.subarray(from)
  }
  return stack.root()
}

/**
 * A lawful log of `size` leaves, streamed to disk: staff sign in and work numbers, requests are created, consented,
 * approved across shops and executed, warnings are evidenced and numbers withdrawn on time. Roots come from a
 * MerkleStack fed leaf by leaf; a checkpoint every `every` leaves and at the end, every 10th cosigned by a witness.
 */
function writeBundle(dir: string, size: number, every: number): { key: string; witness: string } {
  const key = generateSignerKey(ORIGIN)
  const witness = generateWitnessKey('witness.bench')
  const fd = openSync(join(dir, 'leaves.jsonl'), 'w')
  const stack = new MerkleStack()
  const notes: string[] = []
  const pending: Buffer[] = []
  let time = Date.parse('2025-01-01T00:00:00Z')
  const shops = ['shop-a', 'shop-b']
  const staff = Array.from({ length: 40 }, (_, i) => ({
    id: randomUUID(),
    session: randomUUID(),
    role: i % 4 === 3 ? 'supervisor' : 'agent',
    shop: shops[i % 2],
  }))
  const queue: Record<string, unknown>[] = []
  const emit = (leaf: Record<string, unknown>) => {
    time += 1000
    const bytes = Buffer.from(
      `${canonicalJson({ v: LEAF_VERSION, event_id: randomUUID(), at: new Date(time).toISOString(), before: null, after: null, basis: null, msisdn: null, ...leaf })}\n`,
    )
    stack.push(0, leafHash(bytes.subarray(0, bytes.length - 1)))
    pending.push(bytes)
    if (pending.length >= 10_000) flush()
    if (stack.size % every === 0 || stack.size === size) checkpoint()
  }
  const flush = () => {
    writeSync(fd, Buffer.concat(pending.splice(0)))
  }
  const checkpoint = () => {
    const body = formatCheckpoint({ origin: ORIGIN, size: stack.size, rootHash: stack.root() })
    const cosigned =
      notes.length % COSIGN_EVERY === 0 ? cosignCheckpoint(body, witness.skey, Math.floor(time / 1000)) : ''
    notes.push(`${JSON.stringify({ size: stack.size, note: signNote(body, key.skey) + cosigned })}\n`)
  }
  const system = { kind: 'system', component: 'bench' }
  const actor = (s: (typeof staff)[number]) => ({
    kind: 'staff',
    staff_id: s.id,
    session_id: s.session,
    username: `agent.${s.id.slice(0, 6)}`,
    ip: '10.0.0.1',
  })
  for (const s of staff)
    queue.push({
      action: 'staff.created',
      actor: system,
      after: { staff_id: s.id, roles: [s.role], shop_id: s.shop, status: 'active' },
    })
  for (const s of staff)
    queue.push({
      action: 'session.signed_in',
      actor: actor(s),
      after: { session_id: s.session, expires_at: '2025-01-02T00:00:00.000Z' },
    })
  let n = 0
  while (stack.size + queue.length < size) {
    n++
    const msisdn = `+855120${String(n % 1_000_000).padStart(6, '0')}`
    const agent = staff[(n * 7) % staff.length]
    if (agent.role !== 'agent') continue
    if (n % 50 === 0) {
      const supervisor = staff.find((s) => s.role === 'supervisor' && s.shop !== agent.shop) as (typeof staff)[number]
      const request_id = randomUUID()
      const payload_sha256 = n.toString(16).padStart(64, '0')
      queue.push(
        {
          action: 'request.created',
          actor: actor(agent),
          msisdn,
          data: { request_id, kind: 'transfer', payload_sha256 },
        },
        { action: 'request.consent_recorded', actor: system, msisdn, data: { request_id, purpose: 'current_holder' } },
        { action: 'request.approved', actor: actor(supervisor), msisdn, data: { request_id, payload_sha256 } },
        {
          action: 'request.executed',
          actor: actor(agent),
          msisdn,
          data: { request_id, kind: 'transfer', payload_sha256, requested_by: agent.id },
        },
      )
    } else if (n % 50 === 25) {
      const warnings = [randomUUID(), randomUUID(), randomUUID()]
      for (const notice_id of warnings)
        queue.push({
          action: 'sms.notice_evidenced',
          actor: system,
          msisdn,
          data: {
            notice_id,
            custody_id: randomUUID(),
            purpose: 'inactivity_warning',
            dedupe_key: `warning:${notice_id}`,
            parts: 2,
            final_states: ['DELIVRD', 'DELIVRD'],
            last_final_at: '2024-12-01T09:00:00.000Z',
          },
        })
      queue.push({
        action: 'number.withdrawn',
        actor: { kind: 'system', component: 'recycling' },
        msisdn,
        basis: 'inactivity',
        before: { state: 'suspended' },
        after: { state: 'aging' },
        data: { custody_id: randomUUID(), cycle_no: 1, policy_version: 1, warnings },
      })
    } else {
      queue.push({
        action: 'number.reserved',
        actor: actor(agent),
        msisdn,
        before: { state: 'available' },
        after: { state: 'reserved', reserved_until: new Date(time + 1_800_000).toISOString() },
        data: { shop_id: agent.shop, lease_minutes: 30 },
      })
    }
    while (queue.length > 0 && stack.size < size) emit(queue.shift() as Record<string, unknown>)
  }
  while (queue.length > 0 && stack.size < size) emit(queue.shift() as Record<string, unknown>)
  while (stack.size < size) emit({ action: 'clock.advanced', actor: system, data: { by: '1s' } })
  flush()
  closeSync(fd)
  writeFileSync(join(dir, 'checkpoints.jsonl'), notes.join(''))
  writeFileSync(join(dir, 'public-key.txt'), `${key.vkey}\n`)
  writeFileSync(join(dir, 'witnesses.txt'), `${witness.vkey}\n`)
  writeFileSync(
    join(dir, 'manifest.json'),
    `${JSON.stringify({ format: BUNDLE_FORMAT, origin: ORIGIN, size: size, exported_at: new Date(time).toISOString(), leaves: 'leaves.jsonl', checkpoints: 'checkpoints.jsonl' })}\n`,
  )
  return { key: key.vkey, witness: witness.vkey }
}
