// The incident report as a PDF document: the same account as the JSON, every figure beside the row id and the
// leaf index it comes from. The timeline names each leaf by index, time, action, number, staff member (with shop and
// the request's approvers) and proof check; its session and request ids are in the JSON (and in the leaf itself).
import type { IncidentReport } from './incident.ts'
import type { Block, Cell, FactRow, Label, ReportDocument } from './pdf.ts'

const L = (en: string, km: string): Label => ({ en, km })
const fact = (label: Label, value: Cell, ref?: string): FactRow => ({ label, value, ref })
const leafRef = (leaf: number | null) => (leaf === null ? undefined : `leaf ${leaf}`)
const person = (s: { staff_id: string | null; username: string | null } | null) =>
  s ? `${s.username ?? '?'} (${s.staff_id})` : null

const STATE: Record<string, Label> = {
  met: L('met', 'បានគោរព'),
  breached: L('breached', 'បានរំលោភ'),
  pending: L('pending', 'កំពុងរង់ចាំ'),
  not_required: L('not required', 'មិនតម្រូវ'),
}

const PROOF: Record<string, Label> = {
  verified: L('verified', 'បានផ្ទៀងផ្ទាត់'),
  awaiting_checkpoint: L('awaiting checkpoint', 'រង់ចាំចំណុចត្រួតពិនិត្យ'),
  failed: L('FAILED', 'បរាជ័យ'),
}

function sla(r: IncidentReport): Block[] {
  const clocks: [Label, IncidentReport['sla']['hold']][] = [
    [L('Hold placed', 'ការរឹតបន្តឹងលេខ'), r.sla.hold],
    [L('First response', 'ការឆ្លើយតបដំបូង'), r.sla.first_response],
    [L('Resolution', 'ដំណោះស្រាយ'), r.sla.resolution],
  ]
  return [
    { kind: 'heading', text: L('Service levels', 'កម្រិតសេវាកម្ម') },
    {
      kind: 'table',
      small: true,
      columns: [
        { label: L('Clock', 'នាឡិកា'), width: 1.4 },
        { label: L('Due', 'កំណត់'), width: 2 },
        { label: L('Done', 'បានធ្វើ'), width: 2 },
        { label: L('Hours', 'ម៉ោង'), width: 0.8, align: 'right' },
        { label: L('State', 'ស្ថានភាព'), width: 1.8 },
        { label: L('Leaf', 'កំណត់ត្រា'), width: 0.8, align: 'right' },
      ],
      rows: clocks.map(([label, c]) => [
        label.en,
        new Date(c.due_at).toISOString(),
        c.done_at ? new Date(c.done_at).toISOString() : null,
        c.hours_taken,
        STATE[c.state],
        c.leaf,
      ]),
    },
    {
      kind: 'paragraph',
      small: true,
      text: `Hold clock row: hold ${r.sla.hold.row ?? '—'}; first response and resolution: case ${r.case.id}.`,
    },
  ]
}

function holdsAndRestorations(r: IncidentReport): Block[] {
  const blocks: Block[] = [{ kind: 'heading', text: L('Protective holds', 'ការរឹតបន្តឹងការពារ') }]
  if (r.holds.length === 0) blocks.push({ kind: 'paragraph', text: L('No hold', 'គ្មានការរឹតបន្តឹង') })
  for (const h of r.holds)
    blocks.push({
      kind: 'facts',
      rows: [
        fact(L('Hold', 'ការរឹតបន្តឹង'), h.id, 'holds.id'),
        fact(L('Number', 'លេខ'), h.msisdn),
        fact(L('Placed at', 'ដាក់នៅ'), h.placed_at, leafRef(h.leaves.placed)),
        fact(L('Placed by', 'ដាក់ដោយ'), person(h.placed_by)),
        fact(L('Released at', 'ដោះលែងនៅ'), h.released_at, leafRef(h.leaves.released)),
      ],
    })
  blocks.push({ kind: 'heading', text: L('Restoration', 'ការប្រគល់លេខវិញ') })
  if (r.restorations.length === 0)
    blocks.push({ kind: 'paragraph', text: L('No restoration filed', 'មិនទាន់មានការស្នើសុំប្រគល់វិញ') })
  for (const x of r.restorations)
    blocks.push({
      kind: 'facts',
      rows: [
        fact(L('Request', 'សំណើ'), x.request_id, 'restorations.request_id'),
        fact(L('Number', 'លេខ'), x.msisdn),
        fact(L('Status', 'ស្ថានភាព'), x.status),
        fact(L('Executed at', 'អនុវត្តនៅ'), x.executed_at),
        fact(L('Wrongful custody', 'កាន់កាប់ខុស'), x.wrongful_custody_id),
        fact(L('Rightful custody', 'កាន់កាប់ត្រឹមត្រូវ'), x.rightful_custody_id),
        fact(L('Leaves', 'កំណត់ត្រា'), x.leaves.join(', ') || null),
      ],
    })
  return blocks
}

function offersFindingsMeasures(r: IncidentReport): Block[] {
  const blocks: Block[] = [{ kind: 'heading', text: L('Compensation offers', 'ការផ្តល់សំណង') }]
  if (r.compensation_offers.length === 0) blocks.push({ kind: 'paragraph', text: L('No offer', 'គ្មានការផ្តល់ជូន') })
  for (const o of r.compensation_offers)
    blocks.push({
      kind: 'facts',
      rows: [
        fact(L('Offer', 'ការផ្តល់ជូន'), o.id, 'compensation_offers.id'),
        fact(L('Terms', 'លក្ខខណ្ឌ'), o.kind === 'money' ? `${o.amount} ${o.currency}` : o.credit),
        fact(L('Offered at', 'ផ្តល់ជូននៅ'), o.offered_at, leafRef(o.leaves.offered)),
        fact(L('Offered by', 'ផ្តល់ជូនដោយ'), person(o.offered_by)),
        fact(L('Response', 'ចម្លើយ'), o.response, leafRef(o.leaves.responded)),
        fact(L('Responded at', 'ឆ្លើយនៅ'), o.responded_at),
      ],
    })
  blocks.push(
    { kind: 'heading', text: L('Findings', 'លទ្ធផលស៊ើបអង្កេត') },
    {
      kind: 'facts',
      rows: [
        fact(L('Conclusion', 'សេចក្តីសន្និដ្ឋាន'), r.findings.conclusion, leafRef(r.findings.leaf)),
        fact(L('Resolved at', 'ដោះស្រាយនៅ'), r.findings.resolved_at),
        ...r.findings.staff.map((s) =>
          fact(
            L('Staff member named', 'បុគ្គលិកដែលត្រូវបានដាក់ឈ្មោះ'),
            `${person(s)}, ${s.status ?? '?'}`,
            s.note ?? undefined,
          ),
        ),
      ],
    },
    ...(r.findings.text ? [{ kind: 'paragraph' as const, text: r.findings.text }] : []),
    { kind: 'heading', text: L('Measures taken', 'វិធានការដែលបានអនុវត្ត') },
  )
  if (r.measures.length === 0) blocks.push({ kind: 'paragraph', text: L('None recorded', 'មិនទាន់មានកំណត់ត្រា') })
  for (const m of r.measures)
    blocks.push({
      kind: 'facts',
      rows: [
        fact(L('Measure', 'វិធានការ'), m.id, 'case_measures.id'),
        fact(L('Kind', 'ប្រភេទ'), m.kind, leafRef(m.leaf)),
        fact(L('Staff member', 'បុគ្គលិក'), person(m.staff)),
        fact(L('What was done', 'អ្វីដែលបានធ្វើ'), m.description),
      ],
    })
  return blocks
}

/** Who acted, from which shop, and who approved the request the leaf is about. */
const actor = (l: IncidentReport['timeline'][number]) => {
  const who = l.username ? `${l.username}${l.shop_id ? ` @${l.shop_id}` : ''}` : null
  const approved = l.approved_by.map((a) => `${a.username}${a.shop_id ? ` @${a.shop_id}` : ''}`).join(', ')
  return approved ? `${who ?? '—'}; approved by ${approved}` : who
}

function history(r: IncidentReport): Block[] {
  return [
    { kind: 'heading', text: L('History from the audit log', 'ប្រវត្តិពីកំណត់ហេតុសវនកម្ម') },
    {
      kind: 'facts',
      rows: [
        fact(L('Leaves', 'កំណត់ត្រា'), r.timeline.length),
        fact(L('Proofs verified', 'ភស្តុតាងបានផ្ទៀងផ្ទាត់'), r.proofs.verified),
        fact(L('Awaiting a checkpoint', 'រង់ចាំចំណុចត្រួតពិនិត្យ'), r.proofs.awaiting_checkpoint),
        fact(L('Proofs failed', 'ភស្តុតាងបរាជ័យ'), r.proofs.failed),
      ],
    },
    {
      kind: 'table',
      small: true,
      columns: [
        { label: L('Leaf', 'កំណត់ត្រា'), width: 0.7, align: 'right' },
        { label: L('At', 'ពេល'), width: 2 },
        { label: L('Action', 'សកម្មភាព'), width: 2.6 },
        { label: L('Number', 'លេខ'), width: 1.7 },
        { label: L('Staff member', 'បុគ្គលិក'), width: 1.9 },
        { label: L('Inclusion proof', 'ភស្តុតាង'), width: 1.5 },
      ],
      rows: r.timeline.map((l) => [l.index, l.at, l.action, l.msisdn, actor(l), PROOF[l.proof]]),
      empty: L('No leaf', 'គ្មានកំណត់ត្រា'),
    },
  ]
}

export function incidentDocument(r: IncidentReport): ReportDocument {
  const c = r.case
  return {
    title: L(`Incident report ${c.reference}`, `របាយការណ៍ឧប្បត្តិហេតុ ${c.reference}`),
    metadata: [
      fact(L('Case', 'ករណី'), c.id, leafRef(c.leaf)),
      fact(L('Category', 'ប្រភេទ'), c.category),
      fact(L('Status', 'ស្ថានភាព'), c.status),
      fact(L('Market', 'ទីផ្សារ'), c.market),
      fact(L('Opened at', 'បើកនៅ'), c.opened_at),
      fact(L('Opened by', 'បើកដោយ'), person(c.opened_by), c.opened_in_shop ? `shop ${c.opened_in_shop}` : undefined),
      fact(L('Owner', 'អ្នកទទួលខុសត្រូវ'), person(c.owner)),
      fact(L('Confirmed at', 'បញ្ជាក់នៅ'), c.confirmed_at),
      fact(L('Generated at', 'បង្កើតនៅ'), r.generated_at),
    ],
    blocks: [
      { kind: 'heading', text: L('Summary', 'សេចក្តីសង្ខេប') },
      { kind: 'paragraph', text: c.description },
      {
        kind: 'facts',
        rows: [
          fact(L('Numbers', 'លេខ'), r.numbers.join(', ')),
          fact(L('Complainant', 'អ្នកប្តឹង'), c.complainant?.subscriber_id ?? null, c.complainant?.method ?? undefined),
          fact(L('Their custody', 'ការកាន់កាប់របស់ពួកគេ'), c.complainant?.custody_id ?? null),
        ],
      },
      ...sla(r),
      ...holdsAndRestorations(r),
      ...offersFindingsMeasures(r),
      ...history(r),
      { kind: 'heading', text: L('Signed checkpoint', 'ចំណុចត្រួតពិនិត្យដែលបានចុះហត្ថលេខា') },
      ...(r.checkpoint
        ? [
            {
              kind: 'facts' as const,
              rows: [
                fact(L('Size', 'ទំហំ'), r.checkpoint.size),
                fact(L('Signed at', 'ចុះហត្ថលេខានៅ'), r.checkpoint.signed_at),
              ],
            },
            { kind: 'paragraph' as const, text: r.checkpoint.note.trimEnd(), small: true },
          ]
        : [{ kind: 'paragraph' as const, text: L('None yet', 'មិនទាន់មាន') }]),
    ],
    checkpoint: r.checkpoint,
  }
}
