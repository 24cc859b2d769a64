// `numguard audit …` (all but `verify`, which the offline verifier registers): the signed checkpoint, proofs checked
// on this machine with the log's public key, the bundle export, timelines, a key of the log's own, and erasure.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Presets, SingleBar } from 'cli-progress'
import { type Command, InvalidArgumentError } from 'commander'
import {
  type BundleSource,
  generateSignerKey,
  leafHash,
  openCheckpoint,
  verifyConsistency,
  verifyInclusion,
  writeBundle,
} from '../audit/index.ts'
import { type Api, withApi } from './api-client.ts'
import { registerAuditReconcile } from './audit-reconcile.ts'
import type { GlobalOptions } from './commands.ts'
import { CliError } from './errors.ts'
import { count } from './format.ts'

const whole = (v: string) => {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('It must be a whole number.')
  return n
}
const b64 = (s: string) => Buffer.from(s, 'base64')

interface PublicKey {
  origin: string
  vkey: string
  witnesses: string[]
}
interface CheckpointJson {
  size: number
  root_hash: string
  signed_at: string
  note: string
  cosignatures: { witness: string; key_id: string; cosigned_at: string }[]
}

/** The `audit` group, shared with the verifier's `audit verify`: whoever registers first creates it. */
export function auditGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'audit') ??
    program.command('audit').description('the tamper-evident audit log: checkpoints, proofs, export, verification')
  )
}

export function auditCommands(program: Command, globals: () => GlobalOptions): void {
  const audit = auditGroup(program)
  registerAuditReconcile(audit, globals)
  audit
    .command('checkpoint')
    .description("print the latest signed checkpoint (checked with the log's public key) and its cosignatures")
    .option('--note', 'print only the signed note text (to keep, e.g. for `audit verify --since`)')
    .option('--json', 'print JSON')
    .action((o) => checkpoint({ ...globals(), ...o }))
  audit
    .command('prove [leaf]')
    .description('prove a leaf (index or event id) is in the latest checkpoint, or with --from that the log only grew')
    .option('--size <n>', 'prove against the checkpoint of this size', whole)
    .option('--from <n>', 'consistency: the older tree size', whole)
    .option('--to <n>', 'consistency: the newer tree size (default: the latest checkpoint)', whole)
    .option('--json', 'print JSON')
    .action((leaf, o) => prove({ ...globals(), leaf, ...o }))
  audit
    .command('export <dir>')
    .description('write a self-contained bundle (leaves, checkpoints, public key) for `numguard audit verify`')
    .option('--size <n>', 'export up to the checkpoint of this size (default: the latest)', whole)
    .action((dir, o) => exportBundle({ ...globals(), dir, size: o.size }))
  audit
    .command('timeline')
    .description('the leaves of a number, staff member, session or request, oldest first, with proof status')
    .option('--number <msisdn>')
    .option('--staff <id>')
    .option('--session <id>')
    .option('--request <id>')
    .option('--limit <n>', 'at most this many leaves', whole, 200)
    .option('--json', 'print JSON')
    .action((o) => timelineCommand({ ...globals(), ...o }))
  audit
    .command('erase-personal')
    .description('erase personal data recorded before a date past its retention (leaves keep their commitments)')
    .requiredOption('--before <date>', 'an ISO date-time, e.g. 2021-01-01T00:00:00Z')
    .action((o) => erase({ ...globals(), before: o.before }))
  audit
    .command('keygen <origin>')
    .description('make a signing key for the log (NUMGUARD_LOG_KEY_FILE) and print its public verifier key')
    .requiredOption('-o, --out <file>', 'where to write the private key (created, mode 0600; never overwritten)')
    .action((origin, o) => keygen(origin, o.out))
}

async function checkpoint(o: GlobalOptions & { note?: boolean; json?: boolean }) {
  await withApi(o, async (api) => {
    const key = await api.request<PublicKey>('GET', '/api/v1/audit/public-key')
    const cp = await api.request<CheckpointJson>('GET', '/api/v1/audit/checkpoint')
    const opened = openCheckpoint(cp.note, key.vkey, { origin: key.origin, witnesses: key.witnesses })
    if (o.note) return void process.stdout.write(cp.note)
    if (o.json) return console.log(JSON.stringify({ ...cp, verified: true }, null, 2))
    console.log(`${key.origin}: ${count(opened.size)} leaves, root ${opened.rootHash.toString('base64')}`)
    console.log(`signed by ${opened.signedBy.name} (key ${opened.signedBy.keyId}) at ${cp.signed_at} ✓`)
    for (const c of opened.cosignatures)
      console.log(`cosigned by ${c.name} at ${new Date(c.timestamp * 1000).toISOString()} ✓`)
    if (opened.cosignatures.length === 0) console.log('no witness cosignature yet')
    // C2SP signed-note: lines by keys not published (a witness since retired) are ignored, and said so.
    for (const u of opened.unverified)
      console.log(`ignored a signature by ${u.name} (key ${u.keyId}): not a published key`)
  })
}

async function prove(o: GlobalOptions & { leaf?: string; size?: number; from?: number; to?: number; json?: boolean }) {
  if (o.from === undefined && o.leaf === undefined) throw new CliError('give a leaf (index or event id), or --from N')
  await withApi(o, async (api) => {
    const key = await api.request<PublicKey>('GET', '/api/v1/audit/public-key')
    if (o.from !== undefined) return proveConsistencyCli(api, key, o.from, o.to, o.json)
    const leaf = String(o.leaf)
    const query = new URLSearchParams(/^\d+$/.test(leaf) ? { index: leaf } : { event_id: leaf })
    if (o.size !== undefined) query.set('size', String(o.size))
    const p = await api.request<{
      index: number
      event_id: string
      tree_size: number
      leaf: string
      proof: string[]
      checkpoint: string
    }>('GET', `/api/v1/audit/proofs/inclusion?${query}`)
    // Checked here, with the public key: the server is not trusted for any of it.
    const cp = openCheckpoint(p.checkpoint, key.vkey, { origin: key.origin })
    if (cp.size !== p.tree_size)
      throw new CliError(`the proof is for size ${p.tree_size}, the checkpoint for ${cp.size}`)
    verifyInclusion(leafHash(b64(p.leaf)), p.index, p.tree_size, p.proof.map(b64), cp.rootHash)
    if (o.json) return console.log(JSON.stringify({ ...p, verified: true }, null, 2))
    console.log(`leaf ${p.index} (event ${p.event_id}) is in the signed checkpoint of size ${count(p.tree_size)} ✓`)
    console.log(b64(p.leaf).toString('utf8'))
  })
}

async function proveConsistencyCli(api: Api, key: PublicKey, from: number, to: number | undefined, json?: boolean) {
  const query = new URLSearchParams({ from: String(from), ...(to !== undefined ? { to: String(to) } : {}) })
  const p = await api.request<{ from: number; to: number; from_root: string; to_root: string; proof: string[] }>(
    'GET',
    `/api/v1/audit/proofs/consistency?${query}`,
  )
  verifyConsistency(p.from, p.to, b64(p.from_root), b64(p.to_root), p.proof.map(b64))
  if (json) return console.log(JSON.stringify({ ...p, verified: true }, null, 2))
  console.log(`the tree of size ${count(p.from)} is a prefix of the tree of size ${count(p.to)} ✓ (${key.origin})`)
  console.log(`root ${p.from} ${p.from_root}\nroot ${p.to} ${p.to_root}`)
}

/** The bundle's contents, read from the server's API. */
export function apiBundleSource(api: Api): BundleSource {
  return {
    publicKey: () => api.request<PublicKey>('GET', '/api/v1/audit/public-key'),
    checkpoint: async (size) => {
      const cp =
        size === undefined
          ? await api.request<CheckpointJson>('GET', '/api/v1/audit/checkpoint')
          : (
              await api.request<{ items: CheckpointJson[] }>(
                'GET',
                `/api/v1/audit/checkpoints?after=${size - 1}&up_to=${size}&limit=1`,
              )
            ).items[0]
      if (!cp) throw new CliError(`there is no checkpoint of size ${size}`)
      return { size: cp.size, root: b64(cp.root_hash), note: cp.note }
    },
    leafLines: (start, end) => ({
      async *[Symbol.asyncIterator]() {
        const res = await api.raw('GET', `/api/v1/audit/export/leaves?start=${start}&end=${end}`)
        if (!res.ok || !res.body) throw api.refusal(res.status, await api.readJson(res))
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield chunk
      },
    }),
    checkpoints: async (after, upTo) =>
      (
        await api.request<{ items: CheckpointJson[] }>(
          'GET',
          `/api/v1/audit/checkpoints?after=${after}&up_to=${upTo}&limit=1000&selection=export`,
        )
      ).items,
  }
}

async function exportBundle(o: GlobalOptions & { dir: string; size?: number }) {
  const dir = resolve(o.dir)
  await withApi(o, async (api) => {
    const bar = new SingleBar(
      { format: 'exporting {bar} {percentage}% | {value}/{total} leaves', hideCursor: true, stream: process.stderr },
      Presets.shades_classic,
    )
    let started = false
    try {
      const out = await writeBundle(dir, apiBundleSource(api), {
        size: o.size,
        onProgress: (p) => {
          if (!started) bar.start(p.total, 0)
          started = true
          bar.update(p.leaves)
        },
      })
      bar.stop()
      console.log(
        `exported ${count(out.size)} leaves and ${count(out.checkpoints)} checkpoints of ${out.origin} to ${out.dir}`,
      )
      console.log(`root ${out.root.toString('base64')} matches the signed checkpoint of size ${count(out.size)} ✓`)
      console.log(`verify it anywhere with: numguard audit verify ${o.dir} --key ${out.dir}/public-key.txt`)
    } catch (err) {
      if (started) bar.stop()
      throw err instanceof Error && !(err instanceof CliError) && !('status' in err) ? new CliError(err.message) : err
    }
  })
}

interface TimelineItem {
  index: number
  at: string
  action: string
  msisdn: string | null
  envelope: { actor?: { kind?: string; username?: string; component?: string; client_id?: string } }
  proof_status: string
}

async function timelineCommand(
  o: GlobalOptions & {
    number?: string
    staff?: string
    session?: string
    request?: string
    limit: number
    json?: boolean
  },
) {
  const given = [
    ['msisdn', o.number],
    ['staff_id', o.staff],
    ['session_id', o.session],
    ['request_id', o.request],
  ].filter(([, v]) => v !== undefined) as [string, string][]
  if (given.length !== 1) throw new CliError('give exactly one of --number, --staff, --session or --request')
  await withApi(o, async (api) => {
    const query = new URLSearchParams({ [given[0][0]]: given[0][1], limit: String(o.limit) })
    const t = await api.request<{ checkpoint: CheckpointJson | null; items: TimelineItem[] }>(
      'GET',
      `/api/v1/audit/timeline?${query}`,
    )
    if (o.json) return console.log(JSON.stringify(t, null, 2))
    const cp = t.checkpoint ? `checkpoint of size ${count(t.checkpoint.size)}` : 'no checkpoint yet'
    console.log(`${t.items.length} leaves for ${given[0][0]} ${given[0][1]} (proofs against the ${cp})`)
    for (const i of t.items) {
      const a = i.envelope.actor ?? {}
      const who = a.username ?? a.component ?? a.client_id ?? a.kind ?? '?'
      const mark = i.proof_status === 'in_checkpoint' ? '✓' : '…'
      console.log(
        `${mark} ${String(i.index).padStart(8)}  ${i.at}  ${i.action.padEnd(30)} ${who}${i.msisdn ? `  ${i.msisdn}` : ''}`,
      )
    }
  })
}

async function erase(o: GlobalOptions & { before: string }) {
  const before = new Date(o.before)
  if (Number.isNaN(before.getTime())) throw new CliError('--before must be a date-time such as 2021-01-01T00:00:00Z')
  await withApi(o, async (api) => {
    const out = await api.request<{ erased: number; before: string }>('POST', '/api/v1/audit/personal-data/erase', {
      before: before.toISOString(),
    })
    console.log(
      `erased ${count(out.erased)} personal data values recorded before ${out.before} (the leaves are unchanged)`,
    )
  })
}

function keygen(origin: string, out: string) {
  const key = generateSignerKey(origin)
  const path = resolve(out)
  try {
    writeFileSync(
      path,
      `# numguard audit log signing key for ${origin}: keep secret (NUMGUARD_LOG_KEY_FILE)\n# verifier key: ${key.vkey}\n${key.skey}\n`,
      { mode: 0o600, flag: 'wx' },
    )
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new CliError(`${path} exists; keys are never overwritten`)
    throw err
  }
  console.log(`private key written to ${path} (set NUMGUARD_LOG_KEY_FILE=${path} and NUMGUARD_LOG_ORIGIN=${origin})`)
  console.log(`publish the verifier key:\n${key.vkey}`)
}
