// Turns a 400/409 answer that names a field (details.field, details.problems) into messages a form shows next to
// that field, in plain words and without the raw field path ("subscriber.name: must match pattern "\S"" becomes
// "Must not be blank.").
import { ApiError } from './api'

/** Ajv's wording, as Fastify's validation returns it, in words an operator reads. */
const AJV: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^must match pattern "\\S"$/, () => 'Must not be blank.'],
  [/^must match pattern /, () => 'Is not in the expected form.'],
  [/^must NOT have fewer than 1 characters$/, () => 'Must not be empty.'],
  [/^must NOT have fewer than (\d+) characters$/, (m) => `Needs at least ${m[1]} characters.`],
  [/^must NOT have more than (\d+) characters$/, (m) => `Takes at most ${m[1]} characters.`],
  [/^must NOT have fewer than (\d+) items$/, (m) => `Choose at least ${m[1]}.`],
  [/^must NOT have duplicate items/, () => 'Lists the same value twice.'],
  [/^must be equal to one of the allowed values$/, () => 'Choose one of the listed values.'],
  [/^must have required property/, () => 'Is required.'],
  [/^must NOT have additional properties$/, () => 'Is not expected here.'],
  [/^must be >= (\d+)$/, (m) => `Must be at least ${m[1]}.`],
  [/^must be <= (\d+)$/, (m) => `Must be at most ${m[1]}.`],
  [/^must be (string|number|integer|array|object|boolean)/, (m) => `Has the wrong type (expected ${m[1]}).`],
]

function sentence(s: string): string {
  const t = s.trim()
  if (!t) return t
  const first = t[0].toUpperCase() + t.slice(1)
  return /[.!?)]$/.test(first) ? first : `${first}.`
}

/** A server message about `field`, without a leading "field:" and in plain words; `pattern` replaces a bare regex. */
export function readableFieldMessage(field: string, message: string, pattern?: string): string {
  const leaf = field.split('.').pop() ?? field
  let m = message.trim()
  for (const prefix of [`${field}:`, `${leaf}:`]) if (m.startsWith(prefix)) m = m.slice(prefix.length).trim()
  // "first must be an E.164 number…": the field's own name as the sentence's subject goes too.
  for (const name of [field, leaf])
    if (new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (must|is|should|needs|has) `).test(m))
      m = m.slice(name.length).trim()
  if (pattern && /^must match pattern /.test(m) && m !== 'must match pattern "\\S"') return sentence(pattern)
  for (const [re, say] of AJV) {
    const hit = m.match(re)
    if (hit) return say(hit)
  }
  return sentence(m)
}

export interface FieldErrors {
  /** The message for one field (full path, e.g. `subscriber.name`), if the error names it. */
  of: (field: string) => string | undefined
  /** True when at least one of the form's fields carries the error, so the form need not repeat it on top. */
  inline: boolean
}

const NONE: FieldErrors = { of: () => undefined, inline: false }

/**
 * The field messages of a mutation's error for a form with `fields`. `codeFields` names the field of an error
 * code whose details carry none (shop_exists → id); `patterns` says in words what a field's pattern asks for.
 */
export function fieldErrors(
  error: unknown,
  fields: readonly string[],
  opts: { codeFields?: Record<string, string>; patterns?: Record<string, string> } = {},
): FieldErrors {
  if (!(error instanceof ApiError)) return NONE
  const named = typeof error.details.field === 'string' ? error.details.field : opts.codeFields?.[error.code]
  if (!named) return NONE
  const found = new Map<string, string>()
  const problems = Array.isArray(error.details.problems) ? (error.details.problems as Record<string, unknown>[]) : []
  for (const p of problems) {
    if (typeof p.field === 'string' && typeof p.message === 'string' && !found.has(p.field))
      found.set(p.field, readableFieldMessage(p.field, p.message, opts.patterns?.[p.field]))
  }
  // Problems without a field of their own (the SIM file's lines) belong to the named field.
  const lines = problems
    .filter((p) => typeof p.line === 'number' && typeof p.problem === 'string')
    .map((p) => `line ${p.line}: ${p.problem}`)
  if (!found.has(named)) {
    const text = readableFieldMessage(named, error.message, opts.patterns?.[named])
    found.set(
      named,
      lines.length > 0 ? `${text} ${lines.slice(0, 5).join('; ')}${lines.length > 5 ? '; …' : ''}` : text,
    )
  }
  const inline = [...found.keys()].some((f) => fields.includes(f))
  return { of: (f) => found.get(f), inline }
}
