import { ConflictError, DomainError, NotFoundError, ValidationError } from '../domain/errors.ts'

/** Exclusion constraints that hold invariant 1: reaching them means the commands' own checks were bypassed. */
const CUSTODY_CONSTRAINTS = new Set(['custodies_do_not_overlap', 'one_sim_per_number', 'one_number_per_sim'])

/** When the database itself, the last guard, refuses a change, the attempt leaves a risk alert (invariant 8). */
function guardRefusal(code: string, message: string, details: Record<string, unknown>): ConflictError {
  return new ConflictError(code, message, details).withAlert({
    kind: 'database_guard_refused',
    severity: 'risk',
    attempt: { error: code, ...details },
  })
}

/** Turns what the database refused into the error a client sees; anything unknown passes through (and is a 500). */
export function translateDbError(err: unknown): unknown {
  if (err instanceof DomainError || typeof err !== 'object' || err === null) return err
  const { code, constraint, message } = err as { code?: string; constraint?: string; message?: string }
  switch (code) {
    case '23P01': // exclusion_violation: overlapping custody, binding or range
      if (constraint && CUSTODY_CONSTRAINTS.has(constraint)) {
        return guardRefusal('invariant_violation', 'The database refused a second holder for this number or SIM', {
          constraint,
        })
      }
      return new ConflictError('conflict', 'This conflicts with a record that already exists', {
        constraint: constraint ?? null,
      })
    case '23505': // unique_violation
      return new ConflictError('conflict', 'This conflicts with a record that already exists', {
        constraint: constraint ?? null,
      })
    case '23503':
      return new NotFoundError('referenced record', constraint ?? 'unknown')
    case 'NG001':
      return guardRefusal('audit_record_required', message ?? 'an audit record is required', { sqlstate: code })
    case 'NG003':
    case 'NG004':
    case 'NG005':
    case 'NG006':
    case 'NG007':
    case 'NG008':
    case 'NG009': // recycling policy version without its approved policy_change request (008)
    case 'NGR01': // the disconnection register: rows only cancelled once, reported once; files written once (010)
      return guardRefusal('invariant_violation', message ?? 'the database refused this change', {
        sqlstate: code,
        reason: message ?? null,
      })
    case '22P02': // invalid_text_representation
    case '22001': // string_data_right_truncation
    case '22003': // numeric_value_out_of_range
    case '22007':
    case '22008':
    case '22021':
      return new ValidationError('input', 'A value has the wrong form or size', { sqlstate: code })
    case '40001':
    case '40P01':
      return new ConflictError('concurrent_change', 'Another change to the same records won; try again')
    default:
      return err
  }
}
