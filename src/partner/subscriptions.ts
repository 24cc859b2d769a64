// CAMARA SIM Swap Subscriptions 0.3: a partner's standing question about one number. A swap queues one CloudEvent
// per active subscription in the swap's own transaction (the outbox, outbox.ts delivers it); ending a subscription
// queues its subscription-ended event.
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import type { SubscriptionEndReason } from '../db/types-partner.ts'
import { partnerDb } from './db.ts'
import { CamaraError } from './errors.ts'

export const SWAPPED = 'org.camaraproject.sim-swap-subscriptions.v0.swapped'
export const SUBSCRIPTION_ENDED = 'org.camaraproject.sim-swap-subscriptions.v0.subscription-ended'
export const EVENT_SOURCE = 'numguard:/camara/sim-swap-subscriptions/v0.3'

export interface SubscriptionRequest {
  protocol: string
  sink: string
  sinkCredential?: {
    credentialType: string
    accessToken?: string
    accessTokenExpiresUtc?: string
    accessTokenType?: string
  }
  types: string[]
  config: {
    subscriptionDetail: { phoneNumber?: string }
    subscriptionExpireTime?: string
    subscriptionMaxEvents?: number
    initialEvent?: boolean
  }
}

interface SubscriptionView {
  id: string
  msisdn: string
  types: string[]
  sink: string
  max_events: number | null
  starts_at: Date | string
  expires_at: Date | string | null
  status: string
}

/** What leaves the server about a subscription: never its sink token. */
export function presentSubscription(r: SubscriptionView) {
  return {
    id: r.id,
    protocol: 'HTTP',
    sink: r.sink,
    types: r.types,
    config: {
      subscriptionDetail: { phoneNumber: r.msisdn },
      ...(r.expires_at ? { subscriptionExpireTime: new Date(r.expires_at).toISOString() } : {}),
      ...(r.max_events ? { subscriptionMaxEvents: r.max_events } : {}),
    },
    startsAt: new Date(r.starts_at).toISOString(),
    ...(r.expires_at ? { expiresAt: new Date(r.expires_at).toISOString() } : {}),
    status: r.status,
  }
}

/** `https` sinks only in production (the demo's webhook viewer and tests listen on plain http). */
export function checkSink(sink: string, production: boolean): void {
  let url: URL
  try {
    url = new URL(sink)
  } catch {
    throw new CamaraError(400, 'INVALID_ARGUMENT', 'sink must be an absolute URL')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !production))
    throw new CamaraError(400, 'INVALID_ARGUMENT', 'sink must be an https URL')
}

export async function createSubscription(
  ctx: CommandContext,
  clientId: string,
  input: SubscriptionRequest,
  options: { production: boolean },
) {
  if (input.protocol !== 'HTTP') throw new CamaraError(400, 'INVALID_PROTOCOL', 'Only protocol HTTP is supported')
  checkSink(input.sink, options.production)
  // CAMARA's own codes for a sink credential we cannot use: only a bearer access token.
  const credential = input.sinkCredential
  if (credential && credential.credentialType !== 'ACCESSTOKEN')
    throw new CamaraError(400, 'INVALID_CREDENTIAL', 'Only sinkCredential.credentialType ACCESSTOKEN is supported')
  if (
    credential &&
    (credential.accessTokenType !== 'bearer' || !credential.accessToken || !credential.accessTokenExpiresUtc)
  )
    throw new CamaraError(
      400,
      'INVALID_TOKEN',
      'sinkCredential needs a bearer accessToken and its accessTokenExpiresUtc',
    )
  const msisdn = input.config.subscriptionDetail.phoneNumber
  if (!msisdn) throw new CamaraError(422, 'MISSING_IDENTIFIER', 'config.subscriptionDetail.phoneNumber is required')
  const expiresAt = input.config.subscriptionExpireTime ? new Date(input.config.subscriptionExpireTime) : null
  if (expiresAt && expiresAt <= ctx.now)
    throw new CamaraError(400, 'INVALID_ARGUMENT', 'config.subscriptionExpireTime is in the past')
  const db = partnerDb(ctx.tx)
  const number = await db.selectFrom('numbers').select('state').where('msisdn', '=', msisdn).executeTakeFirst()
  if (!number || number.state === 'ported_out')
    throw new CamaraError(404, 'IDENTIFIER_NOT_FOUND', `${msisdn} is not a number of this operator`)
  const row = {
    id: randomUUID(),
    client_id: clientId,
    msisdn,
    types: input.types,
    sink: input.sink,
    sink_token: credential?.accessToken ?? null,
    sink_token_expires_at: credential?.accessTokenExpiresUtc ? new Date(credential.accessTokenExpiresUtc) : null,
    max_events: input.config.subscriptionMaxEvents ?? null,
    starts_at: ctx.now,
    expires_at: expiresAt,
    status: 'ACTIVE' as const,
    created_at: ctx.now,
  }
  await db.insertInto('partner_subscriptions').values(row).execute()
  const receipt = await recordAudit(ctx, {
    action: 'partner.subscription_created',
    msisdn,
    after: { subscription_id: row.id, client_id: clientId, sink: row.sink, types: row.types, expires_at: expiresAt },
  })
  return audited(presentSubscription(row), [receipt])
}

export async function findSubscription(db: Kysely<DB>, clientId: string, id: string) {
  const row = await partnerDb(db)
    .selectFrom('partner_subscriptions')
    .selectAll()
    .where('id', '=', id)
    .where('client_id', '=', clientId)
    .where('status', '<>', 'DELETED')
    .executeTakeFirst()
  if (!row) throw new CamaraError(404, 'NOT_FOUND', 'No subscription with this id')
  return row
}

function cloudEvent(type: string, time: Date, data: Record<string, unknown>) {
  return {
    id: randomUUID(),
    source: EVENT_SOURCE,
    type,
    specversion: '1.0',
    datacontenttype: 'application/json',
    time: time.toISOString(),
    data,
  }
}

async function queueEvent(
  ctx: CommandContext,
  subscriptionId: string,
  type: string,
  event: ReturnType<typeof cloudEvent>,
  dedupeKey: string,
) {
  await partnerDb(ctx.tx)
    .insertInto('partner_events')
    .values({
      id: event.id,
      subscription_id: subscriptionId,
      type,
      event: JSON.stringify(event),
      state: 'pending',
      next_attempt_at: ctx.now,
      created_at: ctx.now,
      dedupe_key: dedupeKey,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute()
}

/** Ends a subscription (guarded: only an ACTIVE one) and queues its subscription-ended event. */
export async function endSubscription(ctx: CommandContext, id: string, reason: SubscriptionEndReason) {
  const status = reason === 'SUBSCRIPTION_DELETED' ? 'DELETED' : 'EXPIRED'
  const ended = await partnerDb(ctx.tx)
    .updateTable('partner_subscriptions')
    .set({ status, ended_at: ctx.now, end_reason: reason })
    .where('id', '=', id)
    .where('status', '=', 'ACTIVE')
    .returning(['msisdn'])
    .executeTakeFirst()
  if (!ended) return null
  const event = cloudEvent(SUBSCRIPTION_ENDED, ctx.now, { subscriptionId: id, terminationReason: reason })
  await queueEvent(ctx, id, SUBSCRIPTION_ENDED, event, `ended:${id}`)
  return recordAudit(ctx, {
    action: 'partner.subscription_ended',
    msisdn: ended.msisdn,
    after: { subscription_id: id, status, reason },
  })
}

/**
 * Called by the SIM swap executor in its transaction: one `swapped` event per active subscription on the number,
 * de-duplicated by swap request, so the event leaves exactly when (and only if) the swap commits.
 */
export async function queueSwapEvents(ctx: CommandContext, msisdn: string, swapId: string): Promise<number> {
  const subscriptions = await partnerDb(ctx.tx)
    .selectFrom('partner_subscriptions')
    .select('id')
    .where('msisdn', '=', msisdn)
    .where('status', '=', 'ACTIVE')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', ctx.now)]))
    .execute()
  for (const s of subscriptions) {
    const event = cloudEvent(SWAPPED, ctx.now, { phoneNumber: msisdn, subscriptionId: s.id })
    await queueEvent(ctx, s.id, SWAPPED, event, `swap:${swapId}:${s.id}`)
  }
  return subscriptions.length
}
