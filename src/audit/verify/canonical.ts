// RFC 8785 (JSON Canonicalization Scheme) checked without a dependency: the offline verifier ships with Node alone.
// A leaf is canonical when re-serialising what it parses to gives back its exact text.

/** The canonical text of a parsed JSON value (RFC 8785: sorted keys by UTF-16 code units, ECMAScript numbers). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a JSON number must be finite')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    // Array.prototype.sort without a comparator compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks.
    const keys = Object.keys(record).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`
  }
  throw new TypeError(`${typeof value} is not a JSON value`)
}

/** True when every object's own keys come in RFC 8785 order (strictly ascending: no duplicates either). */
function keysSorted(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true
  if (Array.isArray(value)) return value.every(keysSorted)
  let previous: string | undefined
  for (const key in value as Record<string, unknown>) {
    if (previous !== undefined && !(previous < key)) return false
    previous = key
    if (!keysSorted((value as Record<string, unknown>)[key])) return false
  }
  return true
}

/**
 * Whether `text` is exactly the canonical form of `parsed` (= JSON.parse(text)). The fast path lets the native
 * JSON.stringify check spacing, escapes, numbers and duplicate keys (a duplicate collapses, so the text differs);
 * only when V8's own key order (integer-like keys first) makes that disagree does the full serialiser decide.
 */
export function isCanonical(text: string, parsed: unknown): boolean {
  if (JSON.stringify(parsed) === text) return keysSorted(parsed)
  return canonicalJson(parsed) === text
}
