// docs/DOMAIN.md's number lifecycle as data. Migration 001 loads the same table into the database,
// which refuses any other state change; a test keeps the two in step.

export const NUMBER_STATES = ['available', 'reserved', 'active', 'suspended', 'aging', 'retired', 'ported_out'] as const
export type NumberState = (typeof NUMBER_STATES)[number]

export interface Transition {
  from: NumberState
  to: NumberState
  via: string
}

export const TRANSITIONS: readonly Transition[] = [
  { from: 'available', to: 'reserved', via: 'reserve' },
  { from: 'reserved', to: 'available', via: 'release or lease expiry' },
  { from: 'available', to: 'active', via: 'sale or restoration' },
  { from: 'reserved', to: 'active', via: 'sale' },
  { from: 'active', to: 'suspended', via: 'inactivity day 60' },
  { from: 'suspended', to: 'active', via: 'qualifying activity' },
  { from: 'active', to: 'aging', via: 'withdrawal' },
  { from: 'suspended', to: 'aging', via: 'withdrawal' },
  { from: 'aging', to: 'available', via: 'aging elapsed' },
  { from: 'aging', to: 'active', via: 'reclaim, late activity or restoration' },
  { from: 'available', to: 'retired', via: 'retirement' },
  { from: 'aging', to: 'retired', via: 'retirement' },
  { from: 'active', to: 'ported_out', via: 'port-out' },
  { from: 'suspended', to: 'ported_out', via: 'port-out' },
]

/** States in which someone holds the number: handing it to anyone else is an attempt on a held number. */
export const HELD_STATES: readonly NumberState[] = ['active', 'suspended', 'aging']

export function canTransition(from: NumberState, to: NumberState): boolean {
  return TRANSITIONS.some((t) => t.from === from && t.to === to)
}

export const SIM_STATES = ['in_stock', 'allocated', 'bound', 'deactivated', 'lost_stolen'] as const
export type SimState = (typeof SIM_STATES)[number]
