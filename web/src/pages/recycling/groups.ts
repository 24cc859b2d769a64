import type { GroupKey } from '../requests/requestTypes'

/** The recycling stages a person follows, in the order a number walks through them. */
export const GROUPS: { key: GroupKey; label: string; color: string; explain: string }[] = [
  { key: 'counting', label: 'Counting', color: '#2e8b57', explain: 'topped up within the cycle; nothing sent yet' },
  { key: 'warned', label: 'Warned', color: '#2f6fd6', explain: 'warned by SMS to top up' },
  { key: 'suspended', label: 'Suspended', color: '#d69e00', explain: 'outgoing calls barred since day 60' },
  {
    key: 'waiting',
    label: 'Waiting',
    color: '#c0392b',
    explain: 'withdrawal due but held back: evidence, usage or feed',
  },
  { key: 'aging', label: 'Aging', color: '#e8742a', explain: 'withdrawn; the former holder may still reclaim' },
]
