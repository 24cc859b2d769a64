// After the withdrawal: the number ages (quarantine) and returns to the pool when aging ends; a late qualifying
// event dated before the withdrawal gives it back to its holder instead (a reinstatement, with an alert).
import { type AuditReceipt, type CommandContext, raiseAlert, recordAudit } from '../audit/index.ts'
import { bindSim, moveNumber, moveNumberIfStill, startCustody } from '../custody/index.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import { queueNotice } from '../sms/index.ts'
import { cancelDisconnection } from './disconnections.ts'
import { lateQualifyingEvent, type StateChange } from './queries.ts'
import type { CycleContext } from './steps.ts'

/** Aging is over: aging → available, and nothing more is due for this custody. */
export async function ageOut(
  ctx: CommandContext,
  c: CycleContext,
): Promise<{ change: StateChange; receipts: AuditReceipt[] }> {
  const { row } = c
  const moved = await moveNumberIfStill(ctx, { msisdn: row.msisdn, from: 'aging', to: 'available' })
  const change: StateChange = { stage: 'closed', step: 'aged_out', next_due_at: null }
  // Retired or otherwise moved on meanwhile: nothing left to do for this custody.
  if (!moved) return { change: { ...change, step: 'closed' }, receipts: [] }
  const receipt = await recordAudit(ctx, {
    action: 'number.aged_out',
    msisdn: row.msisdn,
    before: { state: 'aging', custody_id: row.custody_id },
    after: { state: 'available' },
    basis: 'inactivity',
    data: {
      custody_id: row.custody_id,
      withdrawn_at: row.withdrawn_at,
      aging_days: c.holder.party_kind === 'organisation' ? c.policy.business_aging_days : c.policy.aging_days,
      policy_version: c.policyVersion,
    },
  })
  return { change, receipts: [receipt] }
}

/**
 * A qualifying event of the withdrawn custody, dated before the withdrawal, arrived during aging: the holder gets the
 * number back on a new custody (basis `reinstatement`, which the database allows only on that evidence), with the
 * old SIM if nothing else holds it; the disconnection is cancelled and an alert tells a person.
 */
export async function reinstateHolder(
  ctx: CommandContext,
  c: CycleContext,
): Promise<{ change: StateChange; receipts: AuditReceipt[] } | null> {
  const { row, holder, policy } = c
  if (!row.withdrawn_at) return null
  const event = await lateQualifyingEvent(ctx.tx, row.custody_id, row.withdrawn_at, policy.qualifying_kinds)
  if (!event) return null
  // Custody first: the database checks the number still ages and the evidence, then that an active number is held.
  const custodyId = await startCustody(ctx, {
    msisdn: row.msisdn,
    subscriberId: holder.subscriber_id,
    basis: 'reinstatement',
  })
  await moveNumber(ctx, { msisdn: row.msisdn, from: 'aging', to: 'active' })
  const iccid = await rebindFormerSim(ctx, row.custody_id, row.msisdn, custodyId)
  const { eventId } = await enqueueProvisioning(ctx, {
    msisdn: row.msisdn,
    kind: 'restore',
    payload: { custody_id: custodyId, previous_custody_id: row.custody_id, iccid, reason: 'late_activity' },
  })
  const eventRef = `${event.source}:${event.external_id}`
  const cancelled = await cancelDisconnection(ctx, {
    custodyId: row.custody_id,
    reason: 'reinstatement',
    basis: eventRef,
  })
  const notice = await queueNotice(ctx, {
    msisdn: row.msisdn,
    purpose: 'reinstatement',
    dedupeKey: `reinstatement:${custodyId}`,
    language: holder.language,
    template: 'reclaim',
    params: { msisdn: row.msisdn },
    respectSendWindow: true,
    custodyId,
  })
  const lateEvent = {
    source: event.source,
    external_id: event.external_id,
    kind: event.kind,
    occurred_at: event.occurred_at,
    received_at: event.received_at,
  }
  const alert = await raiseAlert(ctx, {
    kind: 'late_activity_reinstated',
    severity: 'warning',
    msisdn: row.msisdn,
    attempt: {
      action: 'reinstate',
      previous_custody_id: row.custody_id,
      custody_id: custodyId,
      withdrawn_at: row.withdrawn_at,
      event: lateEvent,
      sim_rebound: iccid !== null,
    },
  })
  const receipt = await recordAudit(ctx, {
    action: 'number.reinstated',
    msisdn: row.msisdn,
    before: { state: 'aging', custody_id: row.custody_id },
    after: { state: 'active', custody_id: custodyId, subscriber_id: holder.subscriber_id, iccid },
    basis: 'reinstatement',
    data: {
      previous_custody_id: row.custody_id,
      custody_id: custodyId,
      withdrawn_at: row.withdrawn_at,
      event: lateEvent,
      sim_rebound: iccid !== null,
      provisioning_event_id: eventId,
      disconnection_cancelled: cancelled?.id ?? null,
      notice_id: notice.noticeId,
      alert_id: alert.id,
      policy_version: c.policyVersion,
    },
  })
  return {
    change: { stage: 'closed', step: 'reinstated', next_due_at: null, seen_cycle_no: row.cycle_no },
    receipts: [
      receipt,
      alert.receipt,
      ...(cancelled ? [cancelled.receipt] : []),
      ...(notice.receipt ? [notice.receipt] : []),
    ],
  }
}

/** Binds the withdrawn custody's last SIM to the new custody if it is still deactivated and bound to nothing. */
async function rebindFormerSim(
  ctx: CommandContext,
  formerCustodyId: string,
  msisdn: string,
  custodyId: string,
): Promise<string | null> {
  const former = await ctx.tx
    .selectFrom('sim_bindings')
    .select('iccid')
    .where('custody_id', '=', formerCustodyId)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!former) return null
  const sim = await ctx.tx
    .updateTable('sims')
    .set({ state: 'bound' })
    .where('iccid', '=', former.iccid)
    .where('state', '=', 'deactivated')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(selectFrom('sim_bindings').select('id').where('iccid', '=', former.iccid).where('ended_at', 'is', null)),
      ),
    )
    .executeTakeFirst()
  if (Number(sim.numUpdatedRows) !== 1) return null
  await bindSim(ctx, { msisdn, iccid: former.iccid, custodyId })
  return former.iccid
}
