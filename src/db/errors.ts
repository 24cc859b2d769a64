import { ConflictError, DomainError, NotFoundError, ValidationError } from '../domain/errors.ts'

/** Turns what the database refused into the error a client sees; anything unknown passes through (and is a 500). */
export function translateDbError(err: unknown): unknown {
  if (err instanceof DomainError || typeof err !== 'object' || err === null) return err
  const { code, constraint, message } = err as { code?: string; constraint?: string; message?: string }
  switch (code) {
    case '23P01': // exclusion_violation: overlapping custody, binding or range
    case '23505': // unique_violation
      return new ConflictError('conflict', 'This conflicts with a record that already exists', {
        constraint: constraint ?? null,
      })
    case '23503':
      return new NotFoundError('referenced record', constraint ?? 'unknown')
    case 'NG001':
      return new ConflictError('audit_record_required', message ?? 'an audit record is required')
    case 'NG003':
    case 'NG004':
    case 'NG005':
    case 'NG006':
      return new ConflictError('invariant_violation', message ?? 'the database refused this change', { sqlstate: code })
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
