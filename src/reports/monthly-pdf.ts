// The monthly report as a PDF document: every figure of the CSV (each row named by its CSV `section.item` where it
// is one figure, in a table where the items are staff members, alert kinds, partner operations or clients), the
// leaf range counted and the signed checkpoint that covers it, note included, so the paper alone says what to check.
import type { MonthlyReport } from './monthly.ts'
import type { Block, FactRow, Label, ReportDocument } from './pdf.ts'

const L = (en: string, km: string): Label => ({ en, km })

/** The labels of the CSV's one-figure rows, by `section.item`. */
export const MONTHLY_FIGURES: Record<string, Label> = {
  'report.month': L('Month', 'ខែ'),
  'report.time_zone': L('Time zone', 'ល្វែងម៉ោង'),
  'report.from': L('From', 'ចាប់ពី'),
  'report.to': L('Until', 'រហូតដល់'),
  'report.complete': L('Final', 'ចុងក្រោយ'),
  'leaves.first_index': L('First leaf', 'កំណត់ត្រាដំបូង'),
  'leaves.last_index': L('Last leaf', 'កំណត់ត្រាចុងក្រោយ'),
  'leaves.counted': L('Leaves counted', 'ចំនួនកំណត់ត្រាដែលបានរាប់'),
  'checkpoint.size': L('Checkpoint size', 'ទំហំចំណុចត្រួតពិនិត្យ'),
  'checkpoint.signed_at': L('Checkpoint signed at', 'ពេលចុះហត្ថលេខា'),
  'numbers.warned': L('Numbers warned', 'លេខដែលបានព្រមាន'),
  'numbers.suspended': L('Numbers suspended', 'លេខដែលបានផ្អាក'),
  'numbers.withdrawn': L('Withdrawn for inactivity', 'ដកហូតដោយសារអសកម្ម'),
  'numbers.terminated': L('Terminated by the holder', 'បញ្ឈប់ដោយម្ចាស់លេខ'),
  'numbers.withdrawn_by_legal_order': L('Withdrawn by legal order', 'ដកហូតតាមបទបញ្ជាផ្លូវច្បាប់'),
  'numbers.reclaimed': L('Reclaimed by the former holder', 'ទាមទារមកវិញដោយម្ចាស់ចាស់'),
  'numbers.reinstated': L('Reinstated', 'ស្តារឡើងវិញ'),
  'numbers.recycled': L('Recycled (back in the pool)', 'ដាក់ឱ្យប្រើឡើងវិញ'),
  'warnings.queued': L('Warnings queued', 'ការព្រមានដែលបានដាក់ផ្ញើ'),
  'warnings.delivered': L('Delivered (every part)', 'បានទទួល (គ្រប់ផ្នែក)'),
  'warnings.undelivered': L('Undelivered', 'មិនបានទទួល'),
  'warnings.failed': L('Refused by the SMSC', 'ត្រូវបានបដិសេធដោយ SMSC'),
  'warnings.receipts_missing': L('Without final receipts', 'គ្មានបង្កាន់ដៃចុងក្រោយ'),
  'transfers.executed': L('Transfers executed', 'ការផ្ទេរដែលបានអនុវត្ត'),
  'transfers.with_holder_reply': L("Transfers with the holder's reply", 'ផ្ទេរដោយមានចម្លើយពីម្ចាស់លេខ'),
  'sim_swaps.executed': L('SIM swaps executed', 'ការប្តូរស៊ីមដែលបានអនុវត្ត'),
  'sim_swaps.with_holder_reply': L("SIM swaps with the holder's reply", 'ប្តូរស៊ីមដោយមានចម្លើយពីម្ចាស់លេខ'),
  'sim_swaps.without_holder_reply': L("SIM swaps without the holder's reply", 'ប្តូរស៊ីមដោយគ្មានចម្លើយពីម្ចាស់លេខ'),
  'alerts.raised': L('Alerts raised', 'ការជូនដំណឹងដែលបានលើកឡើង'),
  'alerts.repeats': L('Alert repeats', 'ការជូនដំណឹងម្តងទៀត'),
  'partner.checks': L('Partner checks', 'ការត្រួតពិនិត្យដោយដៃគូ'),
  'cases.complaints': L('Complaints opened', 'ពាក្យបណ្តឹងដែលបានបើក'),
  'cases.investigations': L('Investigations opened', 'ការស៊ើបអង្កេតដែលបានបើក'),
  'cases.holds_placed': L('Protective holds placed', 'ការបង្កកការពារដែលបានដាក់'),
  'cases.holds_within_sla': L('Holds placed in time', 'ការបង្កកទាន់ពេល'),
  'cases.holds_late': L('Holds placed late', 'ការបង្កកយឺត'),
  'cases.holds_released': L('Holds released', 'ការបង្កកដែលបានដោះលែង'),
  'cases.restorations': L('Numbers restored to their holder', 'លេខដែលបានប្រគល់ជូនម្ចាស់វិញ'),
  'cases.resolved': L('Cases resolved', 'ករណីដែលបានដោះស្រាយ'),
  'cases.resolved_within_sla': L('Resolved in time', 'ដោះស្រាយទាន់ពេល'),
  'cases.resolved_late': L('Resolved late', 'ដោះស្រាយយឺត'),
}

const figure = (ref: string, value: string | number | boolean | null): FactRow => ({
  label: MONTHLY_FIGURES[ref] ?? L(ref, ref),
  value,
  ref,
})

function figures(section: string, values: Record<string, number>): FactRow[] {
  return Object.entries(values).map(([item, n]) => figure(`${section}.${item}`, n))
}

export function monthlyDocument(r: MonthlyReport): ReportDocument {
  const c = r.counts
  const p = r.partner
  const range =
    r.leaves.first_index === null ? 'no leaves in this month' : `leaves ${r.leaves.first_index}–${r.leaves.last_index}`
  const blocks: Block[] = [
    { kind: 'heading', text: L('Leaves and checkpoint', 'កំណត់ត្រា និងចំណុចត្រួតពិនិត្យ') },
    {
      kind: 'paragraph',
      text:
        `Every figure is counted from the audit log alone (${range}). Export that range and recount it ` +
        '(numguard audit export; src/reports/monthly-counts.ts) to get the same figures; the signed checkpoint below covers it.',
    },
    {
      kind: 'facts',
      rows: [
        figure('leaves.first_index', r.leaves.first_index),
        figure('leaves.last_index', r.leaves.last_index),
        figure('leaves.counted', c.leaves_counted),
        figure('checkpoint.size', r.checkpoint?.size ?? null),
        figure('checkpoint.signed_at', r.checkpoint?.signed_at ?? null),
      ],
    },
    ...(r.checkpoint ? [{ kind: 'paragraph' as const, text: r.checkpoint.note.trimEnd(), small: true }] : []),
    { kind: 'heading', text: L('Numbers', 'លេខ') },
    { kind: 'facts', rows: figures('numbers', c.numbers) },
    { kind: 'heading', text: L('Inactivity warnings', 'ការព្រមានអំពីអសកម្ម') },
    { kind: 'facts', rows: figures('warnings', c.warnings) },
    { kind: 'heading', text: L('Transfers and SIM swaps', 'ការផ្ទេរ និងការប្តូរស៊ីម') },
    { kind: 'facts', rows: [...figures('transfers', c.transfers), ...figures('sim_swaps', c.sim_swaps)] },
    { kind: 'heading', text: L('Complaints, holds and service levels', 'ពាក្យបណ្តឹង ការបង្កក និងកម្រិតសេវា') },
    { kind: 'facts', rows: figures('cases', c.cases) },
    {
      kind: 'table',
      columns: [
        { label: L('Complaint category', 'ប្រភេទពាក្យបណ្តឹង'), width: 3 },
        { label: L('Count', 'ចំនួន'), align: 'right' },
      ],
      rows: Object.entries(c.complaints_by_category)
        .sort()
        .map(([category, n]) => [category, n]),
      empty: L('No complaint this month', 'គ្មានពាក្យបណ្តឹងក្នុងខែនេះទេ'),
    },
    { kind: 'heading', text: L('Refused attempts and alerts', 'ការប៉ុនប៉ងដែលត្រូវបានបដិសេធ និងការជូនដំណឹង') },
    { kind: 'facts', rows: [figure('alerts.raised', c.alerts.raised), figure('alerts.repeats', c.alerts.repeats)] },
    {
      kind: 'table',
      columns: [
        { label: L('Alert kind', 'ប្រភេទការជូនដំណឹង'), width: 3 },
        { label: L('Count', 'ចំនួន'), align: 'right' },
      ],
      rows: Object.entries(c.alerts.by_kind)
        .sort()
        .map(([kind, n]) => [kind, n]),
      empty: L('No alert this month', 'គ្មានការជូនដំណឹងក្នុងខែនេះទេ'),
    },
    {
      kind: 'table',
      columns: [
        { label: L('Staff member', 'បុគ្គលិក'), width: 2 },
        { label: L('Staff id', 'លេខសម្គាល់បុគ្គលិក'), width: 5 },
        { label: L('Alerts', 'ការជូនដំណឹង'), width: 1.6, align: 'right' },
        { label: L('Repeats', 'ម្តងទៀត'), width: 1.3, align: 'right' },
        { label: L('Total', 'សរុប'), align: 'right' },
        { label: L('Kinds', 'ប្រភេទ'), width: 3 },
      ],
      rows: c.alerts.by_staff.map((s) => [
        s.username ?? s.staff_id,
        s.staff_id,
        s.raised,
        s.repeats,
        s.raised + s.repeats,
        Object.entries(s.by_kind)
          .map(([k, n]) => `${k} ×${n}`)
          .join(', '),
      ]),
      empty: L("No alert raised by a staff member's action", 'គ្មានការជូនដំណឹងដោយសកម្មភាពបុគ្គលិកទេ'),
    },
    { kind: 'heading', text: L('Partner checks', 'ការត្រួតពិនិត្យដោយដៃគូ') },
    { kind: 'facts', rows: [figure('partner.checks', p.checks)] },
    {
      kind: 'table',
      columns: [
        { label: L('Operation', 'ប្រតិបត្តិការ'), width: 3 },
        { label: L('Answered', 'បានឆ្លើយ'), align: 'right' },
        { label: L('Refused', 'បានបដិសេធ'), align: 'right' },
      ],
      rows: Object.entries(p.by_operation)
        .sort()
        .map(([op, n]) => [op, n.answered, n.refused]),
      empty: L('No partner check this month', 'គ្មានការត្រួតពិនិត្យដោយដៃគូក្នុងខែនេះទេ'),
    },
    {
      kind: 'table',
      columns: [
        { label: L('Partner client', 'ដៃគូ'), width: 3 },
        { label: L('Checks', 'ការត្រួតពិនិត្យ'), align: 'right' },
      ],
      rows: p.by_client.map((cl) => [cl.client_id, cl.checks]),
    },
  ]
  return {
    title: L(`Monthly report ${r.month}`, `របាយការណ៍ប្រចាំខែ ${r.month}`),
    metadata: [
      figure('report.month', r.month),
      figure('report.time_zone', r.time_zone),
      figure('report.from', r.from),
      figure('report.to', r.to),
      figure('report.complete', r.complete),
      { label: L('Generated at', 'បង្កើតនៅ'), value: r.generated_at },
    ],
    blocks,
    checkpoint: r.checkpoint,
  }
}
