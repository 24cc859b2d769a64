// The CLI against a real numguard server (a test app listening on a port): what `lookup` prints for a SIM, who it
// says acts, and that a session the CLI opened with NUMGUARD_USERNAME/NUMGUARD_PASSWORD is closed when the command
// ends. The query text is passed to the server as typed (the server reads national numbers).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { createStaffAccount, makeActiveNumber, makeStaff } from '../helpers/factories.ts'
import { cliEnv, numguard, recordingServer } from './support.ts'

const PASSWORD = 'inventory-password-1'

let t: TestApp
let url: string
let dir: string
let inventory: { id: string; username: string }

beforeAll(async () => {
  t = await openTestApp()
  url = await t.server.listen({ host: '127.0.0.1', port: 0 })
  dir = mkdtempSync(join(tmpdir(), 'numguard-cli-commands-'))
  inventory = await createStaffAccount(t.app, ['inventory_manager'], null, PASSWORD)
})
afterAll(async () => {
  await t?.close()
  rmSync(dir, { recursive: true, force: true })
})

const env = (extra: Record<string, string>) =>
  cliEnv({ NUMGUARD_URL: url, XDG_CONFIG_HOME: join(dir, 'config'), NUMGUARD_DATA: join(dir, 'data'), ...extra })
const asInventory = () => env({ NUMGUARD_USERNAME: inventory.username, NUMGUARD_PASSWORD: PASSWORD })

const openSessions = async (staffId: string) =>
  (await t.app.db.selectFrom('sessions').select(['id', 'revoked_at']).where('staff_id', '=', staffId).execute()).filter(
    (s) => s.revoked_at === null,
  )

describe('numguard lookup of a SIM', () => {
  it('prints the SIM and the numbers it served as text, and JSON with --json', async () => {
    const { msisdn, iccid, agent } = await makeActiveNumber(t.app)
    const out = await numguard(['lookup', iccid], asInventory())
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout.split('\n').slice(0, 5)).toEqual([
      `${iccid}  BOUND  (shop ${agent.shopId})`,
      `  IMSI 45606${iccid.slice(-10)}`,
      '',
      'numbers',
      // An inventory manager never sees which number a bound SIM serves, nor since when (invariant 10).
      "  a number (withheld: the holder's account)  now",
    ])
    expect(out.stdout).not.toContain('{')

    const json = await numguard(['lookup', iccid, '--json'], asInventory())
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      iccid,
      state: 'bound',
      bindings: [{ msisdn: 'withheld', started_at: null, ended_at: null, withheld: true }],
    })
    expect(json.stdout).not.toContain(msisdn.slice(4))
  })
})

describe('the identity a command acts as', () => {
  it('is said once on stderr, and the session opened with NUMGUARD_USERNAME/NUMGUARD_PASSWORD is closed', async () => {
    const before = await t.app.db.selectFrom('sessions').select('id').where('staff_id', '=', inventory.id).execute()
    const out = await numguard(['allocate-sims', 'no-such-shop', '5'], asInventory())
    // Refused (there is no such shop): the session is closed all the same.
    expect(out.code).toBe(1)
    expect(out.stderr.split('\n').filter((l) => l.includes('acting as'))).toEqual([
      `numguard: acting as ${inventory.username} (inventory_manager)`,
    ])
    expect(out.stderr).toContain('numguard: shop no-such-shop was not found [not_found]')
    const ok = await numguard(['clock', 'show'], asInventory())
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^numguard time: 2026-03-02T03:00:00\.000Z \(wall clock\)$/m)
    const after = await t.app.db.selectFrom('sessions').select('id').where('staff_id', '=', inventory.id).execute()
    expect(after.length).toBe(before.length + 2)
    expect(await openSessions(inventory.id)).toEqual([])
  })

  it('is the token holder with a token, whose session the CLI leaves open', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const out = await numguard(['clock', 'show'], env({ NUMGUARD_TOKEN: agent.token }))
    expect(out.code, out.stderr).toBe(0)
    expect(out.stderr).toBe(`numguard: acting as ${agent.username} (agent)\n`)
    expect((await openSessions(agent.id)).length).toBe(1)
  })

  it('a wrong NUMGUARD_PASSWORD is refused, naming who tried to sign in', async () => {
    const out = await numguard(
      ['clock', 'show'],
      env({ NUMGUARD_USERNAME: inventory.username, NUMGUARD_PASSWORD: 'wrong-password' }),
    )
    expect(out.code).toBe(1)
    expect(out.stderr).toBe(
      `numguard: signing in as ${inventory.username} (NUMGUARD_USERNAME, NUMGUARD_PASSWORD): Wrong username or password, or the account is suspended [unauthenticated]\n`,
    )
  })
})

describe('numguard lookup QUERY', () => {
  it('sends the query as typed: national numbers are the server’s to read', async () => {
    const recording = await recordingServer((req) =>
      req.path.startsWith('/api/v1/lookup')
        ? { status: 404, body: { code: 'not_found', message: 'nothing' } }
        : undefined,
    )
    try {
      for (const query of ['012000015', '+855 12 000 015', '012-000-015'])
        await numguard(['lookup', query], cliEnv({ NUMGUARD_URL: recording.url, XDG_CONFIG_HOME: join(dir, 'c2') }))
      expect(recording.seen.map((s) => new URL(s.path, recording.url).searchParams.get('q'))).toEqual([
        '012000015',
        '+855 12 000 015',
        '012-000-015',
      ])
    } finally {
      await recording.close()
    }
  })
})
