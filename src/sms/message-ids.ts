// SMSC message ids may come back decimal in submit_sm_resp and hex in a receipt (or the other way round). Each id is
// stored with a key (lower case, no leading zeros) and looked up by the keys of every reading of the other id;
// `sameMessageId` then decides among the few rows found.

const DEC = /^[0-9]+$/
const HEX = /^[0-9a-f]+$/

function stripZeros(s: string): string {
  const t = s.replace(/^0+/, '')
  return t === '' ? '0' : t
}

/** The stored key of a message id. */
export function messageKey(id: string): string {
  const s = id.trim().toLowerCase()
  return HEX.test(s) ? stripZeros(s) : s
}

/** Keys of every id that `sameMessageId` could consider equal to this one: as written, decimal as hex, hex as decimal. */
export function messageKeyCandidates(id: string): string[] {
  const s = id.trim().toLowerCase()
  const keys = new Set([messageKey(s)])
  if (DEC.test(s)) keys.add(BigInt(s).toString(16))
  if (HEX.test(s)) keys.add(BigInt(`0x${s}`).toString(10))
  return [...keys]
}
