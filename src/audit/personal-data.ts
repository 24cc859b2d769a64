// Personal data committed by leaves (names, document numbers, contacts): revealed to compliance with its salt, so
// anyone can check it against the leaf's commitment; erased after its retention, leaving the tree untouched.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import { ValidationError } from '../domain/errors.ts'
import { commitmentOf } from './leaf.ts'
import { type Audited, audited, type CommandContext, recordAudit } from './record.ts'
import { bytes } from './tree-store.ts'

const DAY_MS = 86_400_000

/**
 * Erases salt and value of every personal datum recorded before `before`, which must lie at least the retention
 * period in the past. The leaves keep their commitments, which then prove nothing about the erased values.
 */
export async function erasePersonalData(
  ctx: CommandContext,
  input: { before: Date },
  retentionDays: number,
): Promise<Audited<{ erased: number; before: string }>> {
  const latest = new Date(ctx.now.getTime() - retentionDays * DAY_MS)
  if (!(input.before.getTime() <= latest.getTime()))
    throw new ValidationError(
      'before',
      `personal data is kept ${retentionDays} days: before must be ${latest.toISOString()} or earlier`,
      { latest_allowed: latest.toISOString() },
    )
  const { rows } = await sql<{ n: number }>`SELECT audit_erase_personal_data(${input.before}) AS n`.execute(ctx.tx)
  const erased = Number(rows[0].n)
  const before = input.before.toISOString()
  const receipt = await recordAudit(ctx, {
    action: 'audit.personal_data_erased',
    data: { before, erased, retention_days: retentionDays },
  })
  return audited({ erased, before }, [receipt])
}

/** The personal data a leaf commits to, while kept: field, value, salt and the commitment they hash to. */
export async function revealPersonalData(db: Kysely<DB>, eventId: string) {
  const rows = await db
    .selectFrom('audit_personal_data')
    .select(['field', 'salt', 'value', 'recorded_at'])
    .where('event_id', '=', eventId)
    .orderBy('field')
    .execute()
  return rows.map((r) => ({
    field: r.field,
    value: r.value,
    salt: bytes(r.salt).toString('hex'),
    commitment: commitmentOf(bytes(r.salt), r.value),
    recorded_at: new Date(r.recorded_at).toISOString(),
  }))
}
