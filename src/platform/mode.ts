/** How numguard runs: demo (embedded database, demo accounts, a movable clock) or production. */
export type Mode = 'demo' | 'production'
