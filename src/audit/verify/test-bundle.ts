// Test helper: builds audit bundles the way `numguard audit export` writes them, signed with keys made for the
// test, from leaves that tell a small story (staff, sign-ins, requests, notices, withdrawals).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { leafHash } from '../tlog/hash.ts'
import { cosignCheckpoint, formatCheckpoint, generateSignerKey, generateWitnessKey, signNote } from '../tlog/index.ts'
import { rootFromLeafHashes } from '../tlog/merkle.ts'
import { canonicalJson } from './canonical.ts'
import { MerkleStack } from './tree.ts'
import { BUNDLE_FORMAT, LEAF_VERSION } from './vocabulary.ts'

export const ORIGIN = 'numguard.test/log'

export interface StaffMember {
  id: string
  session: string
}

type Envelope = Record<string, unknown>

export class BundleBuilder {
  readonly logKey = generateSignerKey(ORIGIN)
  readonly witnessKey = generateWitnessKey('witness.test')
  readonly leaves: Buffer[] = []
  /** Sizes to sign a checkpoint at (the final size is always signed). */
  readonly checkpointSizes = new Set<number>()
  /** Sizes the witness cosigns (default: every checkpoint). */
  cosign: (size: number) => boolean = () => true
  private time = Date.parse('2025-03-01T08:00:00Z')

  at(iso?: string): string {
    if (iso) this.time = Date.parse(iso)
    else this.time += 60_000
    return new Date(this.time).toISOString()
  }

  /** Appends a leaf (canonical JSON of the envelope with the version tag); returns its index. */
  add(envelope: Envelope): number {
    const leaf = {
      v: LEAF_VERSION,
      event_id: randomUUID(),
      at: this.at(),
      before: null,
      after: null,
      basis: null,
      msisdn: null,
      ...envelope,
    }
    this.leaves.push(Buffer.from(canonicalJson(leaf), 'utf8'))
    return this.leaves.length - 1
  }

  system(action: string, fields: Envelope = {}): number {
    return this.add({ action, actor: { kind: 'system', component: 'test' }, ...fields })
  }

  act(who: StaffMember, action: string, fields: Envelope = {}): number {
    return this.add({
      action,
      actor: { kind: 'staff', staff_id: who.id, session_id: who.session, username: `u-${who.id.slice(0, 4)}` },
      ...fields,
    })
  }

  /** A staff account (staff.created by the system) signed in once. */
  staff(roles: string[], shopId: string | null = null, signIn: Envelope = {}): StaffMember {
    const id = randomUUID()
    this.system('staff.created', { after: { staff_id: id, roles, shop_id: shopId, status: 'active' } })
    return this.signIn({ id, session: '' }, signIn)
  }

  signIn(who: StaffMember, data: Envelope = {}): StaffMember {
    const member = { id: who.id, session: randomUUID() }
    this.act(member, 'session.signed_in', { after: { session_id: member.session }, data })
    return member
  }

  request(by: StaffMember, kind: string, payload = 'a'.repeat(64)): string {
    const id = randomUUID()
    this.act(by, 'request.created', { data: { request_id: id, kind, payload_sha256: payload } })
    return id
  }

  approve(by: StaffMember, requestId: string, payload = 'a'.repeat(64)): number {
    return this.act(by, 'request.approved', { data: { request_id: requestId, payload_sha256: payload } })
  }

  consent(requestId: string): number {
    return this.system('request.consent_recorded', { data: { request_id: requestId, purpose: 'holder_consent' } })
  }

  execute(by: StaffMember, requestId: string, kind: string, requestedBy: string, payload = 'a'.repeat(64)): number {
    return this.act(by, 'request.executed', {
      data: { request_id: requestId, kind, payload_sha256: payload, requested_by: requestedBy },
    })
  }

  notice(lastFinalAt: string): string {
    const id = randomUUID()
    this.system('sms.notice_evidenced', {
      data: {
        notice_id: id,
        custody_id: 'c1',
        purpose: 'inactivity_warning',
        dedupe_key: id,
        parts: 1,
        final_states: ['DELIVRD'],
        last_final_at: lastFinalAt,
      },
    })
    return id
  }

  withdraw(msisdn: string, warnings: string[], at: string): number {
    this.at(at)
    this.time -= 60_000
    return this.system('number.withdrawn', {
      msisdn,
      basis: 'inactivity',
      data: { custody_id: 'c1', cycle_no: 1, policy_version: 1, warnings },
    })
  }

  /** Writes the bundle; returns its directory. */
  write(dir = mkdtempSync(join(tmpdir(), 'numguard-bundle-'))): string {
    const sizes = [...new Set([...this.checkpointSizes, this.leaves.length])].sort((a, b) => a - b)
    // Roots leaf by leaf (tree.test.ts holds MerkleStack to the tlog core's roots): thousands of checkpoints stay cheap.
    const stack = new MerkleStack()
    const lines = sizes.map((size) => {
      while (stack.size < size) stack.push(0, leafHash(this.leaves[stack.size]))
      const body = formatCheckpoint({ origin: ORIGIN, size, rootHash: stack.root() })
      const cosignature = this.cosign(size) ? cosignCheckpoint(body, this.witnessKey.skey, 1_740_000_000 + size) : ''
      return `${JSON.stringify({ size, note: signNote(body, this.logKey.skey) + cosignature })}\n`
    })
    const manifest = {
      format: BUNDLE_FORMAT,
      origin: ORIGIN,
      size: this.leaves.length,
      exported_at: new Date(this.time).toISOString(),
      leaves: 'leaves.jsonl',
      checkpoints: 'checkpoints.jsonl',
    }
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    writeFileSync(join(dir, 'public-key.txt'), `${this.logKey.vkey}\n`)
    writeFileSync(join(dir, 'witnesses.txt'), `${this.witnessKey.vkey}\n`)
    writeFileSync(join(dir, 'leaves.jsonl'), Buffer.concat(this.leaves.flatMap((l) => [l, Buffer.from('\n')])))
    writeFileSync(join(dir, 'checkpoints.jsonl'), lines.join(''))
    return dir
  }

  /** A signed checkpoint note of this log at `size` (what a witness would have kept). */
  noteAt(size: number, leaves: readonly Buffer[] = this.leaves): string {
    const root = rootFromLeafHashes(leaves.slice(0, size).map((l) => leafHash(l)))
    return signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: root }), this.logKey.skey)
  }
}

/** A log that obeys every rule: two shops, a transfer with consent and a cross-shop approval, a withdrawal. */
export function lawfulStory(b = new BundleBuilder()): BundleBuilder {
  const agent = b.staff(['agent'], 'shop-a')
  const supervisor = b.staff(['supervisor'], 'shop-b', { mfa_required: true, mfa: true })
  b.act(agent, 'number.reserved', { msisdn: '+85512000001' })
  const transfer = b.request(agent, 'transfer')
  b.consent(transfer)
  b.approve(supervisor, transfer)
  b.execute(agent, transfer, 'transfer', agent.id)
  const warnings = [
    b.notice('2025-03-01T09:00:00Z'),
    b.notice('2025-03-15T09:00:00Z'),
    b.notice('2025-03-25T09:00:00Z'),
  ]
  b.withdraw('+85512000002', warnings, '2025-03-31T00:30:00Z')
  b.checkpointSizes.add(3)
  b.checkpointSizes.add(8)
  return b
}
