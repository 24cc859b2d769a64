// The sender: claims due notices, and sends each part at most once. A part is committed `submitting` (its own
// transaction, with its audit record) before its bytes go to the SMSC; no transaction is held across the round
// trip (PGlite has one connection, and PostgreSQL rows must not stay locked while the SMSC thinks).

import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { App } from '../app.ts'
import { audited, runCommand, unchanged } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { isWithinSendWindow } from '../domain/send-window.ts'
import { isStopping } from '../platform/stopping.ts'
import { encodeSms } from './encoding.ts'
import { sendPolicies } from './queries.ts'
import { openSecrets } from './secrets.ts'
import {
  type ClaimedNotice,
  claimNotices,
  closeNotice,
  commitSubmitting,
  completeNotice,
  liveParts,
  recordSubmitError,
  recordSubmitted,
} from './sender-steps.ts'
import { isNoticeTemplate, renderNotice, type TemplateParams } from './templates.ts'
import { type EncodedPart, SmppSubmitError, type SmsTransport } from './transport.ts'

export const SENDER_ACTOR: Actor = { kind: 'system', component: 'sms-sender' }
export const DEFAULT_SOURCE_ADDR = 'numguard'
const PROCESS_SENDER_ID = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`

// Notices this process is sending right now: the recovery never declares them interrupted, even when the demo
// clock jumps past their lease.
const inFlight = new Set<string>()
export function noticesInFlight(): ReadonlySet<string> {
  return inFlight
}

export interface SendOptions {
  /** Notices claimed in this call (default 50). */
  limit?: number
  /** Written as claimed_by; one per process by default. */
  senderId?: string
  /** How long a claim is this sender's before the recovery may take it back (default 5 min). */
  leaseMs?: number
  /** Notices sent side by side (default 4); the transport's window bounds the parts in flight. */
  concurrency?: number
  /** Sender id (source address) shown on the phone (default app.sms.sourceAddr, else 'numguard'). */
  sourceAddr?: string
  /** Claims of one notice refused with not_bound/throttled before it is failed (default 5). */
  maxAttempts?: number
}

export interface SendSummary {
  claimed: number
  partsSubmitted: number
  /** Notices whose every part the SMSC accepted in this call. */
  submitted: number
  requeued: number
  failed: number
  unknown: number
  /** Notices taken back from this sender before it could send (its lease ran out). */
  lost: number
  /** True when nothing was tried because the transport is not bound: notices stay queued. */
  notBound: boolean
}

function renderBody(notice: ClaimedNotice, secretKey: string): string {
  if (!isNoticeTemplate(notice.template)) throw new Error(`no template ${notice.template}`)
  const secrets = notice.sealed_secrets ? openSecrets(secretKey, notice.id, notice.sealed_secrets) : {}
  return renderNotice(notice.template, notice.language, { ...(notice.params as TemplateParams), ...secrets })
}

/** Claims due notices (one-time codes first) and sends them. Never throws for one notice's trouble. */
export async function sendDueNotices(
  app: App,
  transport: SmsTransport,
  options: SendOptions = {},
): Promise<SendSummary> {
  const summary: SendSummary = {
    claimed: 0,
    partsSubmitted: 0,
    submitted: 0,
    requeued: 0,
    failed: 0,
    unknown: 0,
    lost: 0,
    notBound: false,
  }
  // Not bound (the SMSC refuses binds, or is down): nothing is claimed, so nothing waits in a doomed lease.
  if (!transport.bound) {
    summary.notBound = true
    return summary
  }
  const now = app.clock.now()
  // Each number's market has its own window and time zone: claim bulk notices only of markets inside theirs.
  const windows = await sendPolicies(app.db, now)
  const inWindow = [...windows].filter(([, p]) => isWithinSendWindow(now, p.window, p.timeZone)).map(([m]) => m)
  const senderId = options.senderId ?? PROCESS_SENDER_ID
  const claimed = await runCommand(app.deps, SENDER_ACTOR, (ctx) =>
    claimNotices(ctx, {
      limit: options.limit ?? 50,
      senderId,
      leaseUntil: new Date(now.getTime() + (options.leaseMs ?? 5 * 60_000)),
      inWindow,
    }),
  )
  summary.claimed = claimed.length
  const queue = [...claimed]
  const worker = async () => {
    // On a stop, the notices not yet started keep their lease and are claimed again when it ends (nothing was sent).
    for (let n = isStopping(app) ? undefined : queue.shift(); n; n = isStopping(app) ? undefined : queue.shift()) {
      inFlight.add(n.id)
      try {
        await sendNotice(app, transport, n, { ...options, senderId }, summary)
      } catch (err) {
        // A database error mid-send: the part stays `submitting` and the recovery settles it as unknown.
        app.logger.error({ err, notice_id: n.id }, 'sms: sending a notice failed; the recovery will settle it')
      } finally {
        inFlight.delete(n.id)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker))
  return summary
}

async function sendNotice(
  app: App,
  transport: SmsTransport,
  notice: ClaimedNotice,
  options: SendOptions & { senderId: string },
  summary: SendSummary,
): Promise<void> {
  const run = <T>(step: Parameters<typeof runCommand<T>>[2]) => runCommand(app.deps, SENDER_ACTOR, step)
  let parts: EncodedPart[]
  try {
    parts = encodeSms(renderBody(notice, app.config.kycKey), notice.concat_ref)
    if (notice.part_count !== null && parts.length !== notice.part_count)
      throw new Error(`the text now makes ${parts.length} parts, not the ${notice.part_count} already begun`)
  } catch (err) {
    const detail = { error: (err as Error).message }
    await run(async (ctx) => audited(null, await closeNotice(ctx, notice, 'failed', 'cannot_render', detail)))
    summary.failed++
    return
  }
  const earlier = await run(async (ctx) => unchanged(await liveParts(ctx, notice.id)))
  let complete = false
  for (const part of parts) {
    const seen = earlier.get(part.index)
    if (seen === 'submitted' || seen === 'final') continue
    if (seen) {
      // An earlier attempt left this part in doubt: it is never sent again.
      const detail = { part_index: part.index, part_state: seen }
      await run(async (ctx) => audited(null, await closeNotice(ctx, notice, 'unknown', 'part_in_doubt', detail)))
      summary.unknown++
      return
    }
    const partId = await run((ctx) => commitSubmitting(ctx, notice, part, options.senderId)).catch(() => null)
    if (!partId) {
      summary.lost++
      return
    }
    // Counted for /metrics only when this is the process's own link (tests may pass a transport of their own).
    const health = app.sms?.transport === transport ? app.sms.health : undefined
    let messageId: string
    try {
      ;({ messageId } = await transport.submitPart({
        to: notice.to_address,
        from: options.sourceAddr ?? app.sms?.sourceAddr ?? DEFAULT_SOURCE_ADDR,
        part,
        priority: notice.priority,
      }))
    } catch (err) {
      health?.submit(err instanceof SmppSubmitError ? err.code : 'error')
      const outcome = await run((ctx) => recordSubmitError(ctx, notice, partId, err, options.maxAttempts ?? 5))
      summary[outcome]++
      app.logger.warn(
        { notice_id: notice.id, part_index: part.index, error: (err as Error).message, outcome },
        'sms: a part was not accepted',
      )
      return
    }
    health?.submit('accepted')
    summary.partsSubmitted++
    complete = (await run((ctx) => recordSubmitted(ctx, notice, partId, messageId))).notice === 'submitted'
  }
  // Every part went out in earlier attempts (a sender stopped just before completing the notice).
  if (!complete) {
    complete = await run(async (ctx) => {
      const records = await completeNotice(ctx, notice)
      return records ? audited(true, records) : unchanged(false)
    })
  }
  if (complete) summary.submitted++
}
