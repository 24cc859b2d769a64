// SMPP addresses: '+855…' goes out as international (TON 1, NPI 1 E.164) without the '+', an alphanumeric
// sender id as TON 5, anything else as given with TON unknown. Back in, TON 1 gets its '+' again.

export interface SmppAddress {
  addr: string
  ton: number
  npi: number
}

export function toSmppAddress(value: string): SmppAddress {
  const v = value.trim()
  if (/^\+\d{1,20}$/.test(v)) return { addr: v.slice(1), ton: 1, npi: 1 }
  if (/^\d{1,20}$/.test(v)) return { addr: v, ton: 0, npi: 1 }
  return { addr: v, ton: 5, npi: 0 }
}

export function fromSmppAddress(addr: string, ton: number): string {
  if (ton === 1 && /^\d+$/.test(addr)) return `+${addr}`
  return addr
}

/** Compares two numbers as the SMSC would route them: '+' and TON ignored. */
export function sameAddress(a: string, b: string): boolean {
  return a.trim().replace(/^\+/, '') === b.trim().replace(/^\+/, '')
}
