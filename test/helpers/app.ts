import pino from 'pino'
import type { App } from '../../src/app.ts'
import type { Config } from '../../src/config.ts'
import { DEMO_KYC_KEY } from '../../src/config.ts'
import type { Database } from '../../src/db/handle.ts'
import { ManualClock, MovableClock } from '../../src/domain/clock.ts'
import { buildServer, type Server } from '../../src/http/server.ts'
import { startSms } from '../../src/sms/runtime.ts'
import type { SmsTransport } from '../../src/sms/transport.ts'
import { openTestDatabase } from './db.ts'

export const TEST_START = '2026-03-02T03:00:00.000Z'

export interface TestApp extends Server {
  app: App
  database: Database
  /** The manual base clock: moving it moves the app's clock. */
  clock: ManualClock
  /** With `demoClock`, the movable demo clock on top of `clock` (the demo-only routes are then registered). */
  movable?: MovableClock
  close(): Promise<void>
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    mode: 'demo',
    host: '127.0.0.1',
    port: 0,
    dataDir: 'memory://',
    kycKey: DEMO_KYC_KEY,
    logLevel: 'silent',
    country: 'KH',
    sessionTtlHours: 12,
    reservationMinutes: 30,
    ...overrides,
  }
}

/** A server on a fresh test database with a manual clock; requests go through `server.inject`. */
export async function openTestApp(
  overrides: Partial<Config> = {},
  options: {
    demoClock?: boolean
    /** Connect SMS (`app.sms`): the embedded SMSC simulator, or a transport of the test's own. No send loop runs. */
    sms?: 'simulator' | { transport: SmsTransport }
    /** A database of the test's own (the upgrade test's), closed with the app; and where its clock starts. */
    database?: Database
    start?: string
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await openTestDatabase())
  const clock = new ManualClock(options.start ?? TEST_START)
  const movable = options.demoClock ? new MovableClock(0, clock) : undefined
  const appClock = movable ?? clock
  const app: App = {
    config: testConfig(overrides),
    database,
    db: database.db,
    clock: appClock,
    movableClock: movable,
    deps: { db: database.db, clock: appClock },
    logger: pino({ level: 'silent' }),
  }
  const built = await buildServer(app, { logRequests: false })
  await built.server.ready()
  const sms = options.sms
    ? await startSms(app, {
        transport: options.sms === 'simulator' ? undefined : options.sms.transport,
        sendLoop: false,
      })
    : undefined
  return {
    ...built,
    app,
    database,
    clock,
    movable,
    close: async () => {
      await sms?.close()
      await built.server.close()
      await database.close()
    },
  }
}
