import { configDefaults, defineConfig } from 'vitest/config'
import { currentSuite } from './test/suite.ts'

// Three suites, one config: scripts/test.mjs runs postgres, then pglite, then browser, each with NUMGUARD_SUITE set.
//   pglite   (default) every *.test.ts but the PostgreSQL-only concurrency tests and the browser tests
//   postgres every *.test.ts but the browser tests, a schema per test file on TEST_DATABASE_URL
//   browser  only *.browser.test.ts (playwright-core driving /usr/bin/chromium)
const suite = currentSuite()
if (suite === 'postgres' && !process.env.TEST_DATABASE_URL) {
  throw new Error('NUMGUARD_SUITE=postgres needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)')
}

const everywhere = ['src/**/*.test.ts', 'test/**/*.test.ts']
const browserTests = ['src/**/*.browser.test.ts', 'test/**/*.browser.test.ts']

export default defineConfig({
  test: {
    include: suite === 'browser' ? browserTests : everywhere,
    exclude: [
      ...configDefaults.exclude,
      ...(suite === 'browser' ? [] : ['**/*.browser.test.ts']),
      ...(suite === 'pglite' ? ['**/*.pg.test.ts'] : []),
    ],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Two cores; each browser test file drives its own Chromium, so those run one at a time.
    maxWorkers: suite === 'browser' ? 1 : 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { NUMGUARD_SUITE: suite },
  },
})
