// Checks, in the browser, that a leaf is in a checkpoint: its hash from its exact bytes and its inclusion proof
// against the root the checkpoint note carries (RFC 9162 §2.1.3.2), with WebCrypto's SHA-256. The server is not
// trusted for the answer; the signature on the note is checked too where the browser speaks Ed25519.

const fromB64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array<ArrayBuffer>> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    all.set(p, at)
    at += p.length
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all))
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/** True when `leafB64` (the exact leaf bytes) is at `index` of the tree of `size` with root `rootB64`. */
export async function verifyLeafInclusion(
  leafB64: string,
  index: number,
  size: number,
  proofB64: readonly string[],
  rootB64: string,
): Promise<boolean> {
  if (index >= size) return false
  let r = await sha256(Uint8Array.of(0), fromB64(leafB64))
  let fn = BigInt(index)
  let sn = BigInt(size - 1)
  for (const p of proofB64.map(fromB64)) {
    if (sn === 0n) return false
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r)
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n
          sn >>= 1n
        }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n && same(r, fromB64(rootB64))
}

/** Origin, size and root from a checkpoint note's first three lines. */
export function parseCheckpointNote(note: string): { origin: string; size: number; root: string } | null {
  const [origin, size, root] = note.split('\n')
  if (!origin || !/^\d+$/.test(size ?? '') || !root) return null
  return { origin, size: Number(size), root }
}

/**
 * The log's Ed25519 signature on a checkpoint note, checked with its verifier key ("name+keyid+base64(0x01‖key)").
 * Null when the browser has no Ed25519 in WebCrypto (the proofs are still checked against the note's root).
 */
export async function verifyNoteSignature(note: string, vkey: string): Promise<boolean | null> {
  const [name, keyIdHex, material] = vkey.split('+')
  const raw = fromB64(material ?? '')
  if (!name || raw.length !== 33 || raw[0] !== 1) return false
  const split = note.indexOf('\n\n')
  if (split < 0) return false
  const body = note.slice(0, split + 1)
  const line = note
    .slice(split + 2)
    .split('\n')
    .find((l) => l.startsWith(`\u2014 ${name} `))
  if (!line) return false
  const sig = fromB64(line.slice(name.length + 3))
  const keyId = Array.from(sig.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('')
  if (keyId !== keyIdHex || sig.length !== 68) return false
  try {
    const key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify'])
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.slice(4), new TextEncoder().encode(body))
  } catch {
    return null
  }
}
