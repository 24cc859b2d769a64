// PostgreSQL only: the server's database goes away (its connections cut, new ones refused) and comes back, without
// the server restarting. Meanwhile every route answers 503 database_unavailable with Retry-After, never a 500.
// The outage is a TCP proxy between this test's app and PostgreSQL, so the real server (other files use it) stays up.
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../helpers/factories.ts'

/** A TCP proxy to PostgreSQL that can go down (cut every connection, refuse new ones) and come up on its port. */
class DatabaseLink {
  #server?: NetServer
  #sockets = new Set<Socket>()
  port = 0
  readonly host: string
  readonly targetPort: number
  constructor(host: string, targetPort: number) {
    this.host = host
    this.targetPort = targetPort
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host)
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as { port: number }).port
    this.#server = server
  }

  async down(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    const closed = new Promise((resolve) => server?.close(resolve))
    for (const s of this.#sockets) s.destroy()
    await closed
  }
}

const REAL_URL = process.env.TEST_DATABASE_URL as string
let link: DatabaseLink
let t: TestApp
let staff: TestStaff
let msisdn: string
const uncaught: unknown[] = []
const onUncaught = (err: unknown) => uncaught.push(err)

beforeAll(async () => {
  process.on('uncaughtException', onUncaught)
  const real = new URL(REAL_URL)
  link = new DatabaseLink(real.hostname, Number(real.port || 5432))
  await link.up()
  // The app (and its schema) reach PostgreSQL through the link; test/helpers/db.ts reads the URL when it opens.
  const proxied = new URL(REAL_URL)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(link.port)
  process.env.TEST_DATABASE_URL = proxied.toString()
  t = await openTestApp()
  staff = await makeStaff(t.app, ['inventory_manager'])
  msisdn = (await makeActiveNumber(t.app)).msisdn
})
afterAll(async () => {
  await t?.close()
  await link?.down()
  process.env.TEST_DATABASE_URL = REAL_URL
  process.off('uncaughtException', onUncaught)
})

const asStaff = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  t.server.inject({ method, url, headers: { authorization: `Bearer ${staff.token}` }, ...(payload ? { payload } : {}) })

describe('the database goes away and comes back', () => {
  it('every route answers 503 database_unavailable with Retry-After meanwhile, and serves again by itself', async () => {
    const lookup = `/api/v1/numbers/${encodeURIComponent(msisdn)}`
    expect((await asStaff('GET', lookup)).statusCode).toBe(200)

    await link.down() // the pool's connections are cut; new ones are refused
    const during = [
      await asStaff('GET', lookup),
      await asStaff('GET', `/api/v1/lookup?q=${encodeURIComponent(msisdn)}`),
      await asStaff('GET', '/api/v1/ranges'),
      await asStaff('POST', '/api/v1/ranges', { first: '+85519990000', last: '+85519990009' }),
    ]
    for (const res of during) {
      expect(res.statusCode, res.body).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.json()).toMatchObject({ code: 'database_unavailable' })
    }

    await link.up() // same port: the server was not restarted, its pool simply connects again
    const after = await asStaff('GET', lookup)
    expect(after.statusCode, after.body).toBe(200)
    expect(after.json()).toMatchObject({ msisdn })
    // Nothing of the refused import was applied while the database was away.
    expect((await asStaff('GET', '/api/v1/ranges')).json().items.map((r: { first: string }) => r.first)).not.toContain(
      '+85519990000',
    )
    expect(uncaught).toEqual([])
  })
})
