// What leaves the server about the log: hashes and leaf bytes as base64, the leaf also parsed for reading.
import type { ConsistencyAnswer, InclusionAnswer, Timeline } from './proofs.ts'
import type { LeafRow, StoredCheckpoint } from './queries.ts'
import { bytes } from './tree-store.ts'

const b64 = (b: Uint8Array) => bytes(b).toString('base64')

export function presentCheckpoint(cp: StoredCheckpoint) {
  return {
    size: cp.size,
    root_hash: b64(cp.root),
    signed_at: cp.signed_at.toISOString(),
    note: cp.note,
    cosignatures: cp.cosignatures.map((c) => ({
      witness: c.witness,
      key_id: c.key_id,
      cosigned_at: c.cosigned_at.toISOString(),
    })),
  }
}

export function presentLeaf(l: LeafRow) {
  const leaf = bytes(l.leaf)
  return {
    index: Number(l.index),
    event_id: l.event_id,
    at: new Date(l.at).toISOString(),
    action: l.action,
    msisdn: l.msisdn,
    staff_id: l.staff_id,
    session_id: l.session_id,
    request_id: l.request_id,
    leaf_hash: b64(l.leaf_hash),
    /** The exact bytes the tree hashed (canonical JSON), base64. */
    leaf: leaf.toString('base64'),
    envelope: JSON.parse(leaf.toString('utf8')) as Record<string, unknown>,
  }
}

export function presentInclusion(a: InclusionAnswer) {
  return {
    index: Number(a.leaf.index),
    event_id: a.leaf.event_id,
    tree_size: a.size,
    root_hash: b64(a.root),
    leaf_hash: b64(a.leaf.leaf_hash),
    leaf: b64(a.leaf.leaf),
    proof: a.proof.map(b64),
    checkpoint: a.checkpoint.note,
  }
}

export function presentConsistency(a: ConsistencyAnswer) {
  return {
    from: a.from,
    to: a.to,
    from_root: b64(a.fromRoot),
    to_root: b64(a.toRoot),
    proof: a.proof.map(b64),
  }
}

export function presentTimeline(t: Timeline) {
  return {
    checkpoint: t.checkpoint ? presentCheckpoint(t.checkpoint) : null,
    items: t.entries.map((e) => ({
      ...presentLeaf(e.leaf),
      proof: e.proof ? e.proof.map(b64) : null,
      proof_status: e.proof ? 'in_checkpoint' : 'awaiting_checkpoint',
    })),
  }
}
