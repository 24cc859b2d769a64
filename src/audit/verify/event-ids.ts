// Duplicate event ids among a million leaves, fast: a JavaScript Map of a million strings costs seconds on the main
// thread, so UUIDs (what numguard writes) go into an open-addressing table of their 128 bits in typed arrays —
// exact, no fingerprints — and anything else into a Map.

const UUID_WORDS = 4
const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) HEX[48 + i] = i
for (let i = 0; i < 6; i++) HEX[97 + i] = 10 + i
/** Character positions of the 32 hex digits of a canonical lower-case UUID. */
const DIGITS = [...Array(36).keys()].filter((i) => i !== 8 && i !== 13 && i !== 18 && i !== 23)

/**
 * Writes the 128 bits of a canonical lower-case UUID (8-4-4-4-12 hex digits) into out[at..at+3]; false for any other
 * string (which then stays a string: the mapping is one-to-one only on this exact spelling).
 */
export function uuidWords(id: string, out: Uint32Array, at: number): boolean {
  if (id.length !== 36 || id[8] !== '-' || id[13] !== '-' || id[18] !== '-' || id[23] !== '-') return false
  for (let w = 0; w < UUID_WORDS; w++) {
    let word = 0
    for (let d = w * 8; d < w * 8 + 8; d++) {
      const code = id.charCodeAt(DIGITS[d])
      const v = code < 128 ? HEX[code] : -1
      if (v < 0) return false
      word = (word << 4) | v
    }
    out[at + w] = word >>> 0
  }
  return true
}

export class EventIds {
  private words = new Uint32Array(2 ** 16 * UUID_WORDS)
  /** Leaf index + 1 per slot; 0 is an empty slot. */
  private leaf = new Int32Array(2 ** 16)
  private used = 0
  private readonly others = new Map<string, number>()

  /** Records the event id of leaf `index`; returns the index of an earlier leaf with the same id, if any. */
  add(id: string, words: Uint32Array | null, at: number, index: number): number | undefined {
    if (!words) {
      const earlier = this.others.get(id)
      if (earlier === undefined) this.others.set(id, index)
      return earlier
    }
    if (this.used * 2 >= this.leaf.length) this.grow()
    const earlier = this.insert(words, at, index)
    if (earlier === undefined) this.used++
    return earlier
  }

  private insert(words: Uint32Array, at: number, index: number): number | undefined {
    const mask = this.leaf.length - 1
    const w0 = words[at]
    const w1 = words[at + 1]
    const w2 = words[at + 2]
    const w3 = words[at + 3]
    // Mixed, so that time-ordered UUIDs (v7: a clock in the first bits) spread as well as random ones.
    let h = Math.imul(
      w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35),
      0x27d4eb2f,
    )
    h ^= h >>> 15
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const stored = this.leaf[slot]
      if (stored === 0) {
        const k = slot * UUID_WORDS
        this.leaf[slot] = index + 1
        this.words[k] = w0
        this.words[k + 1] = w1
        this.words[k + 2] = w2
        this.words[k + 3] = w3
        return undefined
      }
      const k = slot * UUID_WORDS
      const t = this.words
      if (t[k] === w0 && t[k + 1] === w1 && t[k + 2] === w2 && t[k + 3] === w3) return stored - 1
    }
  }

  private grow(): void {
    const { words, leaf } = this
    this.words = new Uint32Array(words.length * 2)
    this.leaf = new Int32Array(leaf.length * 2)
    for (let slot = 0; slot < leaf.length; slot++)
      if (leaf[slot] !== 0) this.insert(words, slot * UUID_WORDS, leaf[slot] - 1)
  }
}
