// `numguard audit verify DIR --history MSISDN` as a regulator runs it, offline on an exported bundle: the number's
// holders, SIMs and states rebuilt from the leaves alone, for a number sold, SIM-swapped and then transferred.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBundle } from '../../src/audit/bundle.ts'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { Api } from '../../src/cli/api-client.ts'
import { apiBundleSource } from '../../src/cli/audit.ts'
import { makeStaff } from '../helpers/factories.ts'
import { otherShopSupervisor, type Story, soldSwappedTransferred } from '../scenarios/lawful-story.ts'
import { type Harness, openHarness } from '../scenarios/recycling-harness.ts'
import { cliEnv, numguard } from './support.ts'

let h: Harness
let dir: string
let bundle: string
let story: Story

beforeAll(async () => {
  h = await openHarness()
  dir = await mkdtemp(join(tmpdir(), 'numguard-cli-history-'))
  story = await soldSwappedTransferred(h, await otherShopSupervisor(h))
  await runAuditLogPass(h.t.app)
  const auditor = await makeStaff(h.t.app, ['auditor'])
  const api = new Api(await h.t.server.listen({ host: '127.0.0.1', port: 0 }), auditor.token)
  bundle = join(dir, 'bundle')
  await writeBundle(bundle, apiBundleSource(api))
}, 120_000)
afterAll(async () => {
  await h?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('numguard audit verify --history', () => {
  it("prints the number's holders, SIMs and states as the leaves rebuild them: sold, swapped, transferred", async () => {
    const run = await numguard(
      ['audit', 'verify', bundle, '--key', join(bundle, 'public-key.txt'), '--threads', '1', '--history', story.msisdn],
      cliEnv(),
    )
    expect(run.code, run.stderr).toBe(0)
    const lines = run.stdout.split('\n')
    const head = lines.findIndex((l) => l.startsWith(`${story.msisdn}: `))
    expect(head, run.stdout).toBeGreaterThan(-1)
    expect(lines[head]).toMatch(
      new RegExp(
        `^\\${story.msisdn}: active, holder ${story.transferredTo}, custody \\S+, sim ${story.transferredIccid} `,
      ),
    )
    const steps = lines.slice(head + 1).filter((l) => /^ {2}\s*\d+ {2}/.test(l))
    const stepOf = (action: string) => steps.find((l) => l.includes(` ${action} `))
    const sold = stepOf('number.sold')
    expect(sold).toMatch(new RegExp(`active +holder ${story.soldTo} .* sim ${story.soldIccid}$`))
    const swapped = steps.find((l) => l.includes(`sim ${story.swappedIccid}`))
    expect(swapped, run.stdout).toMatch(new RegExp(`active +holder ${story.soldTo} `))
    const transferred = stepOf('number.transferred')
    expect(transferred).toMatch(new RegExp(`active +holder ${story.transferredTo} .* sim ${story.transferredIccid}$`))
    // In log order: the sale, then the swap, then the transfer.
    expect(steps.indexOf(sold as string)).toBeLessThan(steps.indexOf(swapped as string))
    expect(steps.indexOf(swapped as string)).toBeLessThan(steps.indexOf(transferred as string))
    // The holders and SIMs the history names, and no other.
    const holders = new Set(steps.map((l) => / holder (\S+) /.exec(l)?.[1]))
    expect(holders).toEqual(new Set([story.soldTo, story.transferredTo]))
    const sims = new Set(steps.map((l) => / sim (\S+)$/.exec(l)?.[1]))
    expect(sims).toEqual(new Set([story.soldIccid, story.swappedIccid, story.transferredIccid]))
  })
})
