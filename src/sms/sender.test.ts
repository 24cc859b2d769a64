import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { FakeTransport, queueTestNotice } from '../../test/helpers/sms.ts'
import { runCommand } from '../audit/run-command.ts'
import { encodeSms } from './encoding.ts'
import { recoverInterruptedSends } from './recovery.ts'
import { SENDER_ACTOR, sendDueNotices } from './sender.ts'
import { claimNotices, commitSubmitting } from './sender-steps.ts'
import { SmppSubmitError } from './transport.ts'

let t: TestApp
let fake: FakeTransport
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())
beforeEach(async () => {
  fake = new FakeTransport()
  // Each test starts with nothing due: earlier tests' leftovers are settled.
  t.clock.advance(86_400_000)
  await recoverInterruptedSends(t.app)
  while ((await sendDueNotices(t.app, new FakeTransport())).claimed > 0) t.clock.advance(3_600_000)
})

const KHMER_WARNING = {
  language: 'km' as const,
  params: { msisdn: '+85512999000', daysLeft: 30, withdrawalDate: '2026-06-01' },
}

async function notice(id: string) {
  return t.app.db.selectFrom('sms_notices').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}
async function parts(id: string) {
  return t.app.db
    .selectFrom('sms_notice_parts')
    .selectAll()
    .where('notice_id', '=', id)
    .orderBy('part_index')
    .orderBy('attempt')
    .execute()
}
async function alerts(kind: string, noticeId: string) {
  const rows = await t.app.db
    .selectFrom('alerts')
    .select(['kind', 'severity', 'attempt'])
    .where('kind', '=', kind)
    .execute()
  return rows.filter((a) => JSON.stringify(a.attempt).includes(noticeId))
}

describe('sending', () => {
  it('commits each part as submitting before its bytes go out, then records the message id', async () => {
    const { noticeId } = await queueTestNotice(t.app, KHMER_WARNING)
    const seenAtSubmit: { index: number; states: string[]; audited: boolean }[] = []
    fake.behaviour = async (input, accept) => {
      // No transaction is open during the round trip: on PGlite's one connection this query would otherwise hang.
      const rows = await parts(noticeId)
      const audit = await t.app.db
        .selectFrom('audit_records')
        .select('envelope')
        .where('action', '=', 'sms.part_submitting')
        .execute()
      seenAtSubmit.push({
        index: input.part.index,
        states: rows.map((r) => `${r.part_index}:${r.state}`),
        audited: audit.some(
          (a) =>
            JSON.stringify(a.envelope).includes(`"part_index":${input.part.index}`) &&
            JSON.stringify(a.envelope).includes(noticeId),
        ),
      })
      return accept()
    }
    const summary = await sendDueNotices(t.app, fake)
    expect(summary).toMatchObject({ claimed: 1, submitted: 1, failed: 0, unknown: 0 })
    const count = encodeSms(
      (await notice(noticeId)).body_masked, // no secret here: the stored body is the sent text
      0,
    ).length
    expect(count).toBeGreaterThan(1)
    expect(seenAtSubmit).toHaveLength(count)
    seenAtSubmit.forEach((s, i) => {
      expect(s.index).toBe(i + 1)
      expect(s.states.at(-1)).toBe(`${i + 1}:submitting`)
      expect(s.audited).toBe(true)
    })
    const done = await parts(noticeId)
    expect(done.map((p) => p.state)).toEqual(Array(count).fill('submitted'))
    expect(done.map((p) => p.message_id)).toEqual(fake.submitted.map((s) => s.messageId))
    expect(fake.submitted.every((s) => s.part.dataCoding === 0x08 && s.to === '+85512999000')).toBe(true)
    expect(await notice(noticeId)).toMatchObject({ state: 'submitted', part_count: count })
  })

  it('sends one-time codes before bulk notices', async () => {
    const bulk = []
    for (let i = 0; i < 3; i++) bulk.push(await queueTestNotice(t.app))
    const code = await queueTestNotice(t.app, {
      priority: 'otp',
      template: 'one_time_code',
      purpose: 'consent_code',
      params: { action: 'a transfer' },
      secrets: { values: { code: '551177' }, key: t.app.config.kycKey },
    })
    const summary = await sendDueNotices(t.app, fake, { limit: 2, concurrency: 1 })
    expect(summary.claimed).toBe(2)
    expect(fake.submitted[0].priority).toBe('otp')
    const sent = await notice(code.noticeId)
    expect(sent.state).toBe('submitted')
    expect(sent.sealed_secrets).toBeNull() // the code is gone once it has left
    const queued = await t.app.db.selectFrom('sms_notices').select('id').where('state', '=', 'queued').execute()
    expect(queued.map((q) => q.id).sort()).toEqual(
      bulk
        .slice(1)
        .map((b) => b.noticeId)
        .sort(),
    )
  })

  it('claims nothing while the transport is not bound: notices wait, queued', async () => {
    const { noticeId } = await queueTestNotice(t.app)
    fake.bound = false
    expect(await sendDueNotices(t.app, fake)).toMatchObject({ notBound: true, claimed: 0 })
    expect((await notice(noticeId)).state).toBe('queued')
  })

  it('keeps a bulk notice that respects the window until the window opens', async () => {
    t.clock.advance(((24 + 20 - ((t.clock.now().getUTCHours() + 7) % 24)) % 24) * 3_600_000) // 20:xx in Phnom Penh
    const { noticeId } = await queueTestNotice(t.app, { respectSendWindow: true })
    expect((await sendDueNotices(t.app, fake)).claimed).toBe(0)
    t.clock.advance(12 * 3_600_000) // 08:xx the next day
    expect((await sendDueNotices(t.app, fake)).claimed).toBe(1)
    expect((await notice(noticeId)).state).toBe('submitted')
  })

  it('fails a notice the SMSC rejects, with an alert; it is not evidence and not resent', async () => {
    const { noticeId } = await queueTestNotice(t.app)
    fake.behaviour = async () => {
      throw new SmppSubmitError('rejected', 'invalid destination', 0x0b)
    }
    expect(await sendDueNotices(t.app, fake)).toMatchObject({ failed: 1 })
    expect(await notice(noticeId)).toMatchObject({ state: 'failed', state_reason: 'rejected' })
    expect((await parts(noticeId)).map((p) => [p.state, p.error])).toEqual([['submit_failed', 'rejected']])
    expect(await alerts('sms_submit_failed', noticeId)).toHaveLength(1)
    fake.behaviour = null
    expect((await sendDueNotices(t.app, fake)).claimed).toBe(0)
  })

  it('retries only the missing parts after the SMSC refused one unsent (not bound), each part once', async () => {
    const { noticeId } = await queueTestNotice(t.app, KHMER_WARNING)
    fake.behaviour = async (input, accept) => {
      if (input.part.index === 2) throw new SmppSubmitError('not_bound', 'session lost; nothing was sent')
      return accept()
    }
    expect(await sendDueNotices(t.app, fake)).toMatchObject({ requeued: 1, partsSubmitted: 1 })
    const paused = await notice(noticeId)
    expect(paused).toMatchObject({ state: 'queued', state_reason: 'not_bound', attempts: 1 })
    expect(paused.not_before.getTime()).toBeGreaterThan(t.clock.now().getTime())
    expect((await sendDueNotices(t.app, fake)).claimed).toBe(0) // backing off
    fake.behaviour = null
    t.clock.advance(5 * 60_000)
    expect(await sendDueNotices(t.app, fake)).toMatchObject({ claimed: 1, submitted: 1 })
    const indexes = fake.submitted.map((s) => s.part.index)
    expect(indexes.filter((i) => i === 1)).toHaveLength(1)
    expect(new Set(indexes).size).toBe(indexes.length)
    const rows = await parts(noticeId)
    expect(rows.filter((p) => p.state === 'submit_failed').map((p) => p.part_index)).toEqual([2])
    expect(rows.filter((p) => p.state === 'submitted')).toHaveLength(paused.part_count as number)
    expect(await notice(noticeId)).toMatchObject({ state: 'submitted', attempts: 2 })
  })

  it('calls a timed-out part unknown, raises an alert, and never sends the notice again', async () => {
    const { noticeId } = await queueTestNotice(t.app, KHMER_WARNING)
    fake.behaviour = async (input, accept) => {
      if (input.part.index === 2) throw new SmppSubmitError('timeout', 'no submit_sm_resp; outcome unknown')
      return accept()
    }
    expect(await sendDueNotices(t.app, fake)).toMatchObject({ unknown: 1 })
    expect(await notice(noticeId)).toMatchObject({ state: 'unknown', state_reason: 'timeout', sealed_secrets: null })
    expect((await parts(noticeId)).map((p) => p.state)).toEqual(['submitted', 'unknown'])
    expect(await alerts('sms_outcome_unknown', noticeId)).toMatchObject([{ severity: 'warning' }])
    fake.behaviour = null
    t.clock.advance(86_400_000)
    await recoverInterruptedSends(t.app)
    expect((await sendDueNotices(t.app, fake)).claimed).toBe(0)
    expect(fake.submitted).toHaveLength(1)
  })
})

describe('after a crash', () => {
  it('turns a part left submitting into unknown after the grace period, alerts, and never resends it', async () => {
    const { noticeId } = await queueTestNotice(t.app)
    // A sender claims the notice and commits part 1 as submitting, then dies before the SMSC answers.
    const [claimed] = await runCommand(t.app.deps, SENDER_ACTOR, (ctx) =>
      claimNotices(ctx, {
        limit: 1,
        senderId: 'dead-sender',
        leaseUntil: new Date(ctx.now.getTime() + 60_000),
        inWindow: true,
      }),
    )
    const [part] = encodeSms('x', claimed.concat_ref)
    await runCommand(t.app.deps, SENDER_ACTOR, (ctx) => commitSubmitting(ctx, claimed, part, 'dead-sender'))

    expect(await recoverInterruptedSends(t.app)).toMatchObject({ unknown: 0 }) // within the grace period
    t.clock.advance(11 * 60_000)
    expect(await recoverInterruptedSends(t.app)).toMatchObject({ unknown: 1, resumed: 0 })
    expect(await notice(noticeId)).toMatchObject({ state: 'unknown', state_reason: 'interrupted' })
    expect((await parts(noticeId)).map((p) => [p.state, p.error])).toEqual([['unknown', 'interrupted']])
    expect(await alerts('sms_outcome_unknown', noticeId)).toHaveLength(1)

    expect((await sendDueNotices(t.app, fake)).claimed).toBe(0)
    expect(fake.submitted).toHaveLength(0)
    expect(await recoverInterruptedSends(t.app)).toMatchObject({ unknown: 0 }) // alerted once
  })

  it('resumes a claim whose lease ran out with no part in doubt, sending only the parts never committed', async () => {
    const { noticeId } = await queueTestNotice(t.app, KHMER_WARNING)
    // The first sender sends part 1, then dies before committing part 2.
    let died = false
    fake.behaviour = async (input, accept) => {
      if (input.part.index === 2 && !died) {
        died = true
        throw new Error('process killed') // an unexpected failure: the part is in doubt
      }
      return accept()
    }
    await sendDueNotices(t.app, fake, { senderId: 'first' })
    // An unexpected error is treated as unknown (the bytes may have gone), so nothing is resent…
    expect((await notice(noticeId)).state).toBe('unknown')

    // …whereas a sender that died between parts leaves only a lease behind:
    const other = await queueTestNotice(t.app, KHMER_WARNING)
    const [claimed] = await runCommand(t.app.deps, SENDER_ACTOR, (ctx) =>
      claimNotices(ctx, {
        limit: 1,
        senderId: 'dead',
        leaseUntil: new Date(ctx.now.getTime() + 60_000),
        inWindow: true,
      }),
    )
    const first = encodeSms((await notice(other.noticeId)).body_masked, claimed.concat_ref)[0]
    const partId = await runCommand(t.app.deps, SENDER_ACTOR, (ctx) => commitSubmitting(ctx, claimed, first, 'dead'))
    const { recordSubmitted } = await import('./sender-steps.ts')
    await runCommand(t.app.deps, SENDER_ACTOR, (ctx) => recordSubmitted(ctx, claimed, partId as string, '777'))
    t.clock.advance(2 * 60_000)
    expect(await recoverInterruptedSends(t.app)).toMatchObject({ resumed: 1, unknown: 0 })
    fake.behaviour = null
    const before = fake.submitted.length
    expect(await sendDueNotices(t.app, fake)).toMatchObject({ claimed: 1, submitted: 1 })
    const resent = fake.submitted.slice(before).map((s) => s.part.index)
    expect(resent[0]).toBe(2)
    expect(resent).not.toContain(1)
    expect(await notice(other.noticeId)).toMatchObject({ state: 'submitted', attempts: 2 })
  })

  it('cancels a one-time code that could not leave before it expired', async () => {
    const { noticeId } = await queueTestNotice(t.app, {
      priority: 'otp',
      template: 'notice',
      params: { text: 'code' },
      expiresAt: new Date(t.clock.now().getTime() + 60_000),
    })
    fake.bound = false
    await sendDueNotices(t.app, fake)
    t.clock.advance(2 * 60_000)
    expect(await recoverInterruptedSends(t.app)).toMatchObject({ expired: 1 })
    expect(await notice(noticeId)).toMatchObject({ state: 'cancelled', state_reason: 'expired' })
  })
})
