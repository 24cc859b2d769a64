// The per-leaf work, done on a worker thread for a chunk of leaves at a time: leaf hashes, the chunk's complete
// subtrees, the byte-level checks (UTF-8, canonical JSON, version tag, envelope fields) and the few facts the business
// rules need, so the main thread never parses a leaf itself.
import { hash } from 'node:crypto'
import { isCanonical } from './canonical.ts'
import { uuidWords } from './event-ids.ts'
import { ChunkLevels } from './tree.ts'
import { LEAF_VERSION, RULE_ACTIONS } from './vocabulary.ts'

/** What the rules need of one leaf (rebuilt on the main thread from a chunk's ChunkFacts). */
export interface LeafFact {
  /** event_id */
  e: string
  /** action */
  a: string
  /** actor.kind */
  k: string
  /** actor.staff_id and actor.session_id of a staff actor */
  s?: string
  ss?: string
  /** at (ISO 8601) and the fields the rules read, for the actions they read (see ruleFields) */
  t?: string
  x?: Record<string, unknown>
}

export interface LeafProblem {
  /** 0-based offset of the leaf inside its chunk */
  offset: number
  eventId?: string
  message: string
}

/**
 * The facts of a chunk's leaves in columns: a million small objects would cost more to pass between threads than
 * to check, so strings are interned per chunk and referenced by 16-bit codes.
 */
export interface ChunkFacts {
  /** The event ids joined by newlines ('' for an unusable leaf). */
  eventIds: string
  /** The chunk's distinct actions, actor kinds, staff ids and session ids. */
  strings: string[]
  /** Per leaf, 4 codes into strings: action, actor kind, staff id, session id; NONE where absent. */
  codes: Uint16Array
  /** Per leaf, the 128 bits of its event id when it is a canonical UUID (isUuid[i] = 1), for EventIds. */
  uuids: Uint32Array
  isUuid: Uint8Array
  /** The leaves the rules read fields of (offset in the chunk). */
  extras: { offset: number; t: string; x: Record<string, unknown> }[]
}

export const NONE = 0xffff

export interface ChunkResult {
  /** The first leaf's index and the number of leaves (lines) in the chunk. */
  start: number
  count: number
  /** The chunk's complete subtrees, level by level (see ChunkLevels): level 0 holds the leaf hashes. */
  levels: Uint8Array
  facts: ChunkFacts
  problems: LeafProblem[]
  /** The last line had no newline: the file ends in the middle of a leaf. */
  unterminated: boolean
}

const decoder = new TextDecoder('utf-8', { fatal: true })
const NEWLINE = 0x0a

/** Checks and hashes the leaves of `bytes` (whole lines; only the very last may lack its newline). */
export function processChunk(bytes: Uint8Array, start: number): ChunkResult {
  const problems: LeafProblem[] = []
  const lines: [number, number][] = []
  for (let from = 0; from < bytes.length; ) {
    const nl = bytes.indexOf(NEWLINE, from)
    const end = nl < 0 ? bytes.length : nl
    lines.push([from, end])
    from = end + 1
  }
  const unterminated = bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE
  const levels = new Uint8Array(ChunkLevels.byteLength(lines.length))
  const interned = new Map<string, number>()
  const strings: string[] = []
  const code = (s: string | undefined) => {
    if (s === undefined) return NONE
    let c = interned.get(s)
    if (c === undefined) {
      c = strings.push(s) - 1
      interned.set(s, c)
    }
    return c
  }
  const codes = new Uint16Array(lines.length * 4).fill(NONE)
  const eventIds: string[] = []
  const uuids = new Uint32Array(lines.length * 4)
  const isUuid = new Uint8Array(lines.length)
  const extras: ChunkFacts['extras'] = []
  for (let i = 0; i < lines.length; i++) {
    const [from, to] = lines[i]
    levels.set(hashLeafAt(bytes, from, to), i * 32)
    const checked = checkLeaf(bytes.subarray(from, to))
    if (typeof checked === 'string' || 'problem' in checked) {
      eventIds.push('')
      problems.push(
        typeof checked === 'string'
          ? { offset: i, message: checked }
          : { offset: i, eventId: checked.eventId, message: checked.problem },
      )
      continue
    }
    eventIds.push(checked.e)
    isUuid[i] = uuidWords(checked.e, uuids, i * 4) ? 1 : 0
    codes[i * 4] = code(checked.a)
    codes[i * 4 + 1] = code(checked.k)
    codes[i * 4 + 2] = code(checked.s)
    codes[i * 4 + 3] = code(checked.ss)
    if (checked.x) extras.push({ offset: i, t: checked.t as string, x: checked.x })
  }
  if (strings.length >= NONE) throw new Error('a chunk holds more distinct strings than its codes can name')
  ChunkLevels.build(lines.length, levels)
  const facts = { eventIds: eventIds.join('\n'), strings, codes, uuids, isUuid, extras }
  return { start, count: lines.length, levels, facts, problems, unterminated }
}

const ZERO = new Uint8Array(1)

/**
 * leafHash (SHA-256 of 0x00 ‖ leaf) in one call without copying the leaf: the byte before a line is the previous
 * line's newline, briefly replaced by the 0x00 prefix. The tree tests compare the roots with the tlog core's.
 */
function hashLeafAt(bytes: Uint8Array, from: number, to: number): Buffer {
  if (from === 0) return hash('sha256', Buffer.concat([ZERO, bytes.subarray(from, to)]), 'buffer')
  bytes[from - 1] = 0
  const digest = hash('sha256', bytes.subarray(from - 1, to), 'buffer')
  bytes[from - 1] = NEWLINE
  return digest
}

type Checked = LeafFact | { problem: string; eventId?: string } | string

function checkLeaf(leaf: Uint8Array): Checked {
  if (leaf.length === 0) return 'the line is empty'
  let text: string
  try {
    text = decoder.decode(leaf)
  } catch {
    return 'the line is not valid UTF-8'
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return `the line is not JSON (${(err as Error).message})`
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the leaf is not a JSON object'
  const leafObject = parsed as Record<string, unknown>
  const eventId = typeof leafObject.event_id === 'string' && leafObject.event_id ? leafObject.event_id : undefined
  const fail = (problem: string) => ({ problem, eventId })
  if (!isCanonical(text, parsed))
    return fail('the leaf is not canonical JSON (RFC 8785): it was re-serialised or edited')
  if (leafObject.v !== LEAF_VERSION)
    return fail(`the leaf's "v" is ${JSON.stringify(leafObject.v)}, not "${LEAF_VERSION}"`)
  if (!eventId) return fail('the leaf has no event_id')
  if (typeof leafObject.action !== 'string' || !leafObject.action) return fail('the leaf has no action')
  if (typeof leafObject.at !== 'string' || Number.isNaN(Date.parse(leafObject.at)))
    return fail('the leaf has no valid "at" time')
  const actor = leafObject.actor as Record<string, unknown> | null
  if (!actor || typeof actor !== 'object' || typeof actor.kind !== 'string') return fail('the leaf has no actor.kind')
  const fact: LeafFact = { e: eventId, a: leafObject.action, k: actor.kind }
  if (actor.kind === 'staff') {
    if (typeof actor.staff_id !== 'string' || !actor.staff_id) return fail('a staff leaf without actor.staff_id')
    if (typeof actor.session_id !== 'string' || !actor.session_id)
      return fail('a staff leaf without actor.session_id: every staff action must name its session')
    fact.s = actor.staff_id
    fact.ss = actor.session_id
  }
  const x = ruleFields(leafObject)
  if (x) {
    fact.x = x
    fact.t = leafObject.at
  }
  return fact
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/** The fields of a leaf the business rules read, by action; undefined for actions they do not read. */
function ruleFields(leaf: Record<string, unknown>): Record<string, unknown> | undefined {
  const data = obj(leaf.data)
  const after = obj(leaf.after)
  switch (leaf.action) {
    case RULE_ACTIONS.signedIn:
      return {
        mfa_required: data.mfa_required,
        mfa: data.mfa,
        session_id: data.session_id ?? after.session_id,
        staff_id: data.staff_id,
      }
    case RULE_ACTIONS.signedOut:
    case RULE_ACTIONS.revoked:
      return { session_id: after.session_id ?? data.session_id }
    case RULE_ACTIONS.staffSuspended:
      return { staff_id: data.staff_id ?? after.staff_id }
    case RULE_ACTIONS.requestCreated:
      return { request_id: data.request_id, kind: data.kind, payload_sha256: data.payload_sha256 }
    case RULE_ACTIONS.requestApproved:
      // approved_sha256: the hash the approver signed (src/requests writes it beside the request's own).
      return { request_id: data.request_id, payload_sha256: data.approved_sha256 ?? data.payload_sha256 }
    case RULE_ACTIONS.consentRecorded:
      return { request_id: data.request_id, purpose: data.purpose }
    case RULE_ACTIONS.requestExecuted:
      return {
        request_id: data.request_id,
        kind: data.kind,
        payload_sha256: data.payload_sha256,
        requested_by: data.requested_by,
      }
    case RULE_ACTIONS.noticeEvidenced:
      return { notice_id: data.notice_id, last_final_at: data.last_final_at }
    case RULE_ACTIONS.numberWithdrawn:
      return { basis: leaf.basis, msisdn: leaf.msisdn, warnings: data.warnings }
  }
  // Any staff.* record stating an account's roles, shop or approval cooling period (staff.created,
  // staff.roles_granted, staff.credentials_reset) tells the rules who may approve what, and from when.
  const staffId = after.staff_id ?? data.staff_id
  if (typeof leaf.action === 'string' && leaf.action.startsWith('staff.') && typeof staffId === 'string')
    return { staff_id: staffId, roles: after.roles, shop_id: after.shop_id, cooling_until: data.cooling_until }
  return undefined
}
