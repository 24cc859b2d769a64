// The monthly counts' reading of leaves: what each figure counts, and what it leaves out.
import { describe, expect, it } from 'vitest'
import { countMonth, type ReportLeaf } from './monthly-counts.ts'

const FROM = '2026-02-28T17:00:00.000Z'
const TO = '2026-03-31T17:00:00.000Z'
const at = '2026-03-10T03:00:00.000Z'
const staff = (id: string, username: string) => ({ kind: 'staff', staff_id: id, username })
const warning = (action: string, data: Record<string, unknown> = {}, msisdn = '+85512000001'): ReportLeaf => ({
  at,
  action,
  msisdn,
  data: { purpose: 'inactivity_warning', ...data },
})

describe('the monthly counts', () => {
  it('counts warnings delivered only when every final receipt is DELIVRD, and other purposes not at all', () => {
    const c = countMonth(
      [
        warning('sms.notice_queued'),
        warning('sms.notice_queued', {}, '+85512000002'),
        warning('sms.notice_queued', { purpose: 'consent_code' }, '+85512000003'),
        warning('sms.notice_evidenced', { final_states: ['DELIVRD', 'DELIVRD'] }),
        warning('sms.notice_evidenced', { final_states: ['DELIVRD', 'UNDELIV'] }),
        warning('sms.notice_failed'),
        warning('sms.receipts_missing'),
        warning('sms.notice_evidenced', { purpose: 'withdrawal', final_states: ['DELIVRD'] }),
      ],
      FROM,
      TO,
    )
    expect(c.warnings).toEqual({ queued: 2, delivered: 1, undelivered: 1, failed: 1, receipts_missing: 1 })
    expect(c.numbers.warned).toBe(2)
  })

  it('counts numbers once however many leaves move them, and only leaves inside the month', () => {
    const c = countMonth(
      [
        { at, action: 'number.suspended', msisdn: '+85512000001' },
        { at, action: 'number.suspended', msisdn: '+85512000001' },
        { at: FROM, action: 'number.aged_out', msisdn: '+85512000002' },
        { at: TO, action: 'number.aged_out', msisdn: '+85512000003' },
        { at: '2026-02-28T16:59:59.999Z', action: 'number.reclaimed', msisdn: '+85512000004' },
      ],
      FROM,
      TO,
    )
    expect(c.leaves_counted).toBe(3)
    expect(c.numbers).toMatchObject({ suspended: 1, recycled: 1, reclaimed: 0 })
  })

  it('splits SIM swaps by whether the holder replied, and alerts by the staff member who acted', () => {
    const c = countMonth(
      [
        { at, action: 'sim.swapped', msisdn: '+85512000001', data: { kind: 'sim_swap' } },
        { at, action: 'sim.swapped', msisdn: '+85512000001', data: { kind: 'sim_swap_lost' } },
        { at, action: 'number.transferred', msisdn: '+85512000001' },
        { at, action: 'alert.raised', msisdn: null, actor: staff('s1', 'dara'), after: { kind: 'forbidden' } },
        { at, action: 'alert.repeated', msisdn: null, actor: staff('s1', 'dara'), data: { kind: 'forbidden' } },
        { at, action: 'alert.raised', msisdn: null, actor: staff('s2', 'vanna'), after: { kind: 'number_in_custody' } },
        { at, action: 'alert.raised', msisdn: null, actor: { kind: 'system' }, after: { kind: 'sms_submit_failed' } },
      ],
      FROM,
      TO,
    )
    expect(c.sim_swaps).toEqual({ executed: 2, with_holder_reply: 1, without_holder_reply: 1 })
    expect(c.transfers).toEqual({ executed: 1, with_holder_reply: 1 })
    expect(c.alerts).toEqual({
      raised: 3,
      repeats: 1,
      by_kind: { forbidden: 2, number_in_custody: 1, sms_submit_failed: 1 },
      by_staff: [
        { staff_id: 's1', username: 'dara', raised: 1, repeats: 1, by_kind: { forbidden: 2 } },
        { staff_id: 's2', username: 'vanna', raised: 1, repeats: 0, by_kind: { number_in_custody: 1 } },
      ],
    })
  })

  it('counts complaints by category, holds in time or late by their own deadline, releases, restorations and resolutions', () => {
    const later = '2026-03-12T03:00:00.000Z'
    const c = countMonth(
      [
        { at, action: 'case.opened', msisdn: '+85512000001', data: { kind: 'complaint', category: 'number_taken' } },
        { at, action: 'case.opened', msisdn: '+85512000002', data: { kind: 'complaint', category: 'other' } },
        { at, action: 'case.opened', msisdn: '+85512000003', data: { kind: 'complaint', category: 'number_taken' } },
        { at, action: 'case.opened', msisdn: '+85512000004', data: { kind: 'investigation', category: 'other' } },
        { at, action: 'hold.placed', msisdn: '+85512000001', data: { hold_due_at: later } },
        { at: later, action: 'hold.placed', msisdn: '+85512000002', data: { hold_due_at: at } },
        { at, action: 'hold.placed', msisdn: '+85512000003', data: {} },
        { at: later, action: 'hold.released', msisdn: '+85512000001' },
        { at: later, action: 'number.restored', msisdn: '+85512000001' },
        { at: later, action: 'case.findings_recorded', msisdn: null, data: { resolution_due_at: TO } },
        { at: later, action: 'case.findings_recorded', msisdn: null, data: { resolution_due_at: at } },
      ],
      FROM,
      TO,
    )
    expect(c.complaints_by_category).toEqual({ number_taken: 2, other: 1 })
    expect(c.cases).toEqual({
      complaints: 3,
      investigations: 1,
      holds_placed: 3,
      holds_within_sla: 1,
      holds_late: 2,
      holds_released: 1,
      restorations: 1,
      resolved: 2,
      resolved_within_sla: 1,
      resolved_late: 1,
    })
  })
})
