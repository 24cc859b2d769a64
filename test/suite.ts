// Which suite this vitest run is: chosen by scripts/test.mjs through NUMGUARD_SUITE (see vitest.config.ts).
export type Suite = 'pglite' | 'postgres' | 'browser'

const SUITES: readonly Suite[] = ['pglite', 'postgres', 'browser']

export function currentSuite(): Suite {
  const name = process.env.NUMGUARD_SUITE || 'pglite'
  if (!SUITES.includes(name as Suite))
    throw new Error(`NUMGUARD_SUITE must be one of ${SUITES.join(', ')}, not "${name}"`)
  return name as Suite
}
