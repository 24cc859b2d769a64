// The log proves the state: every number's state, holder (the subscriber of its open custody) and SIM, rebuilt from
// the audit leaves alone, in log order. Pure (no I/O, nothing of numguard but these names), so the online
// reconciliation (src/audit/reconcile.ts) and the offline verifier (`audit verify --history`) read one interpreter.

/** The parts of a leaf the rebuild reads (a parsed numguard-leaf/1 envelope, and where it sits in the log). */
export interface RebuildLeaf {
  /** Its index in the tree; null while it waits in the queue. */
  index: number | null
  event_id: string
  at: string
  action: string
  msisdn: string | null
  after?: unknown
}

/** What the log says of one number after a leaf. */
export interface NumberState {
  state: string
  custodyId: string | null
  holder: string | null
  iccid: string | null
}

export interface LeafRef {
  index: number | null
  eventId: string
  action: string
  at: string
}

export interface HistoryStep extends NumberState, LeafRef {}

export interface RebuiltNumber extends NumberState {
  msisdn: string
  /** The last leaf that moved this number. */
  last: LeafRef
  /** The fields some leaf set: a number carried in by a migration batch is known only in these. */
  stated: (keyof NumberState)[]
  history: HistoryStep[]
}

export interface RebuiltRange {
  first: string
  last: string
  leaf: LeafRef
}

export interface Rebuilt {
  numbers: Map<string, RebuiltNumber>
  ranges: RebuiltRange[]
  leavesRead: number
}

const AGING: Partial<NumberState> = { state: 'aging', custodyId: null, holder: null, iccid: null }
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/** A custody starts (sale, transfer, reclaim, reinstatement): holder, custody and SIM from the leaf's `after`. */
const holding = (after: Record<string, unknown>): Partial<NumberState> => ({
  state: str(after.state) ?? 'active',
  custodyId: str(after.custody_id),
  holder: str(after.subscriber_id),
  iccid: str(after.iccid),
})

/**
 * Each action that moves a number, and what it moves (the names of src/domain/actions.ts). An action missing here
 * moves nothing, so a command that changes a number under a new name shows up as a difference until it is listed.
 */
export const NUMBER_EFFECTS: Readonly<Record<string, (after: Record<string, unknown>) => Partial<NumberState>>> = {
  'number.reserved': () => ({ state: 'reserved' }),
  'number.released': () => ({ state: 'available' }),
  'number.reservation_expired': () => ({ state: 'available' }),
  'number.sold': holding,
  'number.transferred': holding,
  'number.reclaimed': holding,
  'number.reinstated': holding,
  'number.restored': holding,
  'sim.swapped': (after) => ({ iccid: str(after.iccid) }),
  'number.suspended': () => ({ state: 'suspended' }),
  'number.reactivated': () => ({ state: 'active' }),
  'number.withdrawn': () => AGING,
  'number.terminated': () => AGING,
  'number.withdrawn_by_legal_order': () => AGING,
  'number.aged_out': () => ({ state: 'available' }),
}

/** What a number of an imported range is before any leaf names it. */
export const FRESH: NumberState = { state: 'available', custodyId: null, holder: null, iccid: null }

const refOf = (leaf: RebuildLeaf): LeafRef => ({
  index: leaf.index,
  eventId: leaf.event_id,
  action: leaf.action,
  at: leaf.at,
})

/**
 * Reads the leaves in log order. `keepHistory` keeps every step of the numbers it accepts (all of them when it is
 * true); without it only the final state is kept, which is all a reconciliation compares.
 */
export function rebuildNumbers(
  leaves: Iterable<RebuildLeaf>,
  keepHistory: boolean | ((msisdn: string) => boolean) = false,
): Rebuilt {
  const numbers = new Map<string, RebuiltNumber>()
  const ranges: RebuiltRange[] = []
  let leavesRead = 0
  for (const leaf of leaves) {
    leavesRead++
    const after = obj(leaf.after)
    if (leaf.action === 'range.imported') {
      const first = str(after.first)
      const last = str(after.last)
      if (first && last) ranges.push({ first, last, leaf: refOf(leaf) })
      continue
    }
    const effect = NUMBER_EFFECTS[leaf.action]
    if (!effect || !leaf.msisdn) continue
    const ref = refOf(leaf)
    const known = numbers.get(leaf.msisdn)
    const moved = effect(after)
    const stated = [...new Set([...(known?.stated ?? []), ...(Object.keys(moved) as (keyof NumberState)[])])]
    const history = known?.history ?? []
    const next: RebuiltNumber = { ...FRESH, ...known, ...moved, msisdn: leaf.msisdn, last: ref, stated, history }
    const keep = typeof keepHistory === 'function' ? keepHistory(leaf.msisdn) : keepHistory
    if (keep) next.history.push({ ...ref, ...stateOf(next) })
    numbers.set(leaf.msisdn, next)
  }
  return { numbers, ranges, leavesRead }
}

export const stateOf = (n: NumberState): NumberState => ({
  state: n.state,
  custodyId: n.custodyId,
  holder: n.holder,
  iccid: n.iccid,
})

/** The range leaf a number was imported by, if any (E.164 of one length compare as digits). */
export function rangeOf(rebuilt: Rebuilt, msisdn: string): RebuiltRange | undefined {
  return rebuilt.ranges.find((r) => r.first.length === msisdn.length && r.first <= msisdn && msisdn <= r.last)
}

/** What the log says a number is now: its last leaf's state, FRESH when only its range names it, null when nothing does. */
export function expectedState(
  rebuilt: Rebuilt,
  msisdn: string,
): (NumberState & { last: LeafRef; stated?: (keyof NumberState)[] }) | null {
  const n = rebuilt.numbers.get(msisdn)
  if (n) return { ...stateOf(n), last: n.last, stated: n.stated }
  const range = rangeOf(rebuilt, msisdn)
  return range ? { ...FRESH, last: range.leaf } : null
}
