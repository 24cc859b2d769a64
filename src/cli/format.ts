// How the CLI writes what a person reads: counts, days, line ranges and the views of numbers, SIMs and subscribers.
import type { DemoSummary } from '../demo/index.ts'

/** 100000 → "100,000". */
export const count = (n: number) => n.toLocaleString('en')

/** "1–10,000", or "7" for one line. */
export const lineSpan = (first: number, last: number) =>
  first === last ? `line ${count(first)}` : `lines ${count(first)}–${count(last)}`

/** The day of a timestamp, or "now" (padded to a day's width) for a period still open. */
export const day = (t: string | null | undefined) => (t ? String(t).slice(0, 10) : 'now       ')

export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`

export function print(value: unknown): void {
  console.log(JSON.stringify(value, null, 2))
}

export interface NumberDetail {
  msisdn: string
  state: string
  category: string
  /** How much of the account behind the number the caller sees (invariant 10); older servers send none. */
  account?: { view: string; held: boolean; withheld: string[]; message: string | null }
  custodies: {
    subscriber: { name_masked: string; id: string } | null
    basis: string
    started_at: string
    ended_at: string | null
    end_reason: string | null
  }[]
  sim_bindings: { iccid: string; started_at: string; ended_at: string | null }[]
  history: { seq: number; at: string; action: string; actor: { kind: string; username?: string; component?: string } }[]
}

export function numberView(n: NumberDetail): string {
  const lines = [`${n.msisdn}  ${n.state.toUpperCase()}  (${n.category})`, '', 'custody']
  for (const c of n.custodies)
    lines.push(
      `  ${day(c.started_at)} → ${day(c.ended_at)}  ${(c.subscriber?.name_masked ?? '(another holder)').padEnd(20)} ${c.basis}${c.end_reason ? `, ended: ${c.end_reason}` : ''}`,
    )
  const withheld = (n.account?.withheld.length ?? 0) > 0 && n.account?.view === 'restricted'
  if (withheld) lines.push(`  (${n.account?.held ? 'held; ' : ''}not shown: ${n.account?.message ?? 'the account'})`)
  else if (n.custodies.length === 0) lines.push('  (never held)')
  lines.push('', 'SIM')
  for (const b of n.sim_bindings) lines.push(`  ${day(b.started_at)} → ${day(b.ended_at)}  ${b.iccid}`)
  if (n.sim_bindings.length === 0) lines.push(withheld ? '  (not shown)' : '  (none)')
  lines.push('', 'history')
  for (const h of n.history)
    lines.push(`  #${h.seq} ${h.at}  ${h.action.padEnd(28)} ${h.actor.username ?? h.actor.component ?? h.actor.kind}`)
  return lines.join('\n')
}

export interface SimDetail {
  iccid: string
  imsi: string
  state: string
  shop_id: string | null
  /** `withheld`: the number and its start are not shown, its holder's account being outside the caller's view. */
  bindings: {
    msisdn: string
    started_at: string | null
    ended_at: string | null
    end_reason: string | null
    withheld?: boolean
  }[]
}

export function simView(s: SimDetail): string {
  const lines = [
    `${s.iccid}  ${s.state.toUpperCase()}${s.shop_id ? `  (shop ${s.shop_id})` : ''}`,
    `  IMSI ${s.imsi}`,
    '',
    'numbers',
  ]
  const width = Math.max(0, ...s.bindings.map((b) => b.msisdn.length))
  for (const b of s.bindings)
    lines.push(
      b.withheld
        ? `  a number (withheld: the holder's account)${b.ended_at ? `  until ${day(b.ended_at)}` : '  now'}${b.end_reason ? `  ended: ${b.end_reason}` : ''}`
        : `  ${day(b.started_at)} → ${day(b.ended_at)}  ${b.msisdn.padEnd(width)}${b.end_reason ? `  ended: ${b.end_reason}` : ''}`,
    )
  if (s.bindings.length === 0) lines.push('  (never bound to a number)')
  return lines.join('\n')
}

export interface SubscriberDetail {
  id: string
  name_masked: string
  party_kind: string
  account_type: string
  language: string
  kyc_doc_kind: string
  kyc_doc_last4: string
  alt_contact_masked: string | null
  msisdns_masked: boolean
  custodies: { msisdn: string; basis: string; started_at: string; ended_at: string | null; end_reason: string | null }[]
}

export function subscriberView(s: SubscriberDetail): string {
  const lines = [
    `${s.name_masked}  (${s.party_kind}, ${s.account_type})  subscriber ${s.id}`,
    `  KYC ${s.kyc_doc_kind} …${s.kyc_doc_last4}   language ${s.language}${s.alt_contact_masked ? `   other contact ${s.alt_contact_masked}` : ''}`,
    '',
    s.msisdns_masked ? 'custody (numbers masked for your role)' : 'custody',
  ]
  const width = Math.max(0, ...s.custodies.map((c) => c.msisdn.length))
  for (const c of s.custodies)
    lines.push(
      `  ${day(c.started_at)} → ${day(c.ended_at)}  ${c.msisdn.padEnd(width)}  ${c.basis}${c.end_reason ? `, ended: ${c.end_reason}` : ''}`,
    )
  if (s.custodies.length === 0) lines.push('  (holds no number)')
  return lines.join('\n')
}

/** The demo data set in one paragraph, with a number worth looking up. */
export function demoSummaryText(summary: DemoSummary): string {
  const states = Object.entries(summary.numbers.byState)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${count(n)} ${s}`)
  const ranges = summary.ranges.map((r) => `${r.first}–${r.last} (${r.category})`).join(' and ')
  const sample = summary.samples.with_former_holder
  return (
    `demo data loaded: ${count(summary.numbers.total)} numbers (${states.join(', ')}) in ${ranges}; ` +
    `${count(summary.subscribers)} subscribers holding ${count(summary.custodies.open)} numbers ` +
    `(${count(summary.custodies.ended)} earlier custodies), ${count(summary.sims.total)} SIMs, ` +
    `${plural(summary.staff, 'staff member')}, ${plural(summary.shops, 'shop')}, ` +
    `${plural(summary.machineClients, 'machine client')}.` +
    (sample ? ` Try: numguard lookup ${sample}` : '')
  )
}
