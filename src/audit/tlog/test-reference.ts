// Test oracle only: RFC 6962 §2.1 MTH, PATH and PROOF/SUBPROOF written straight from the RFC, recursive and slow,
// so the stored-tree implementation in merkle.ts can be checked against something independent of it.
import { createHash } from 'node:crypto'

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}
const LEAF = Buffer.from([0])
const NODE = Buffer.from([1])

function k(n: number): number {
  let p = 1
  while (p * 2 < n) p *= 2
  return p
}

/** MTH(D[n]) over leaf INPUTS (not hashes). */
export function refMTH(d: readonly Uint8Array[]): Buffer {
  if (d.length === 0) return sha()
  if (d.length === 1) return sha(LEAF, d[0])
  const s = k(d.length)
  return sha(NODE, refMTH(d.slice(0, s)), refMTH(d.slice(s)))
}

/** PATH(m, D[n]). */
export function refPATH(m: number, d: readonly Uint8Array[]): Buffer[] {
  if (d.length <= 1) return []
  const s = k(d.length)
  if (m < s) return [...refPATH(m, d.slice(0, s)), refMTH(d.slice(s))]
  return [...refPATH(m - s, d.slice(s)), refMTH(d.slice(0, s))]
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Buffer[] {
  const n = d.length
  if (m === n) return b ? [] : [refMTH(d)]
  const s = k(n)
  if (m <= s) return [...subproof(m, d.slice(0, s), b), refMTH(d.slice(s))]
  return [...subproof(m - s, d.slice(s), false), refMTH(d.slice(0, s))]
}

/** PROOF(m, D[n]). */
export function refPROOF(m: number, d: readonly Uint8Array[]): Buffer[] {
  return subproof(m, d, true)
}
