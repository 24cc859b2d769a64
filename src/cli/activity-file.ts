// Reading an activity file for `numguard activity import`: NDJSON (one event object per line) or CSV with a header
// row (msisdn,kind,amount,occurred_at,source,external_id; currency optional). Lines are parsed one at a time, so a
// file of any size streams; a line that cannot be parsed is reported by its number, the rest still go.

export type FileFormat = 'ndjson' | 'csv'

export const CSV_COLUMNS = ['msisdn', 'kind', 'amount', 'occurred_at', 'source', 'external_id', 'currency'] as const
const REQUIRED_CSV = ['msisdn', 'kind', 'occurred_at', 'external_id'] as const

export class FileFormatError extends Error {}

/** By extension, else by the first line that holds something: `{` means NDJSON. */
export function detectFormat(path: string, firstLine: string | undefined): FileFormat {
  if (/\.csv$/i.test(path)) return 'csv'
  if (/\.(ndjson|jsonl|json)$/i.test(path)) return 'ndjson'
  return firstLine?.trimStart().startsWith('{') ? 'ndjson' : 'csv'
}

/** Splits one CSV line (RFC 4180 quoting, without line breaks inside fields). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      fields.push(field)
      field = ''
    } else field += c
  }
  if (quoted) throw new FileFormatError('a quoted field is not closed on this line')
  fields.push(field)
  return fields
}

/** The header's columns, checked: the required ones present, none unknown, none twice. */
export function csvHeader(line: string): string[] {
  const columns = splitCsvLine(line.replace(/^\uFEFF/, '')).map((c) => c.trim().toLowerCase())
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c))
  if (unknown.length > 0)
    throw new FileFormatError(
      `the header names unknown columns (${unknown.join(', ')}); the columns are ${CSV_COLUMNS.join(',')}`,
    )
  const missing = REQUIRED_CSV.filter((c) => !columns.includes(c))
  if (missing.length > 0) throw new FileFormatError(`the header lacks ${missing.join(', ')}`)
  const twice = columns.filter((c, i) => columns.indexOf(c) !== i)
  if (twice.length > 0) throw new FileFormatError(`the header names ${twice.join(', ')} twice`)
  return columns
}

/** One event from a line; empty CSV cells are left out (the server says what is missing). */
export function parseLine(line: string, format: FileFormat, header: string[] | undefined): Record<string, unknown> {
  if (format === 'ndjson') {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new FileFormatError('this line is not valid JSON')
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new FileFormatError('this line is not a JSON object')
    return value as Record<string, unknown>
  }
  if (!header) throw new FileFormatError('a CSV file starts with its header row')
  const fields = splitCsvLine(line)
  if (fields.length !== header.length)
    throw new FileFormatError(`this line has ${fields.length} fields; the header names ${header.length}`)
  const event: Record<string, unknown> = {}
  header.forEach((column, i) => {
    const value = fields[i].trim()
    if (value !== '') event[column] = value
  })
  return event
}
