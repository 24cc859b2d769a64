import { readFileSync } from 'node:fs'
import { Presets, SingleBar } from 'cli-progress'
import { ValidationError } from '../domain/errors.ts'
import { MAX_SIM_ROWS, parseSimCsv } from '../inventory/index.ts'
import { type Api, networkError, saveToken, withApi } from './api-client.ts'
import { ApiError, CliError, describeApiError, fileError, isDatabaseUnavailable } from './errors.ts'
import {
  count,
  lineSpan,
  type NumberDetail,
  numberView,
  plural,
  print,
  type SimDetail,
  type SubscriberDetail,
  simView,
  subscriberView,
} from './format.ts'
import { codeSourcesFromEnv, finishSignIn, type SignInAnswer } from './mfa.ts'
import { askHidden, canPrompt } from './prompt.ts'

export interface GlobalOptions {
  url?: string
  token?: string
}

/**
 * Signs in and saves the token. The password comes from --password or NUMGUARD_PASSWORD, else it is asked for on
 * the terminal without echo; with no terminal to ask on, one of those two is required.
 */
export async function login(opts: GlobalOptions & { username: string; password?: string; code?: string }) {
  let password = opts.password ?? process.env.NUMGUARD_PASSWORD
  if (!password) {
    if (!canPrompt())
      throw new CliError('no password: give --password or set NUMGUARD_PASSWORD (there is no terminal to ask on)')
    password = await askHidden(`password for ${opts.username}: `)
  }
  await withApi({ ...opts, token: undefined, anonymous: true }, async (api) => {
    const answer = await api.request<SignInAnswer>('POST', '/api/v1/auth/sign-in', {
      username: opts.username,
      password,
    })
    // Supervisors, compliance officers and admins (and whoever enrolled) owe a TOTP code: asked for here.
    const out = await finishSignIn(api, answer, codeSourcesFromEnv(true, opts.code))
    const where = saveToken(api.url, out.token)
    const staff = out.staff ?? { username: opts.username, roles: [] }
    console.log(`signed in as ${staff.username} (${staff.roles.join(', ')}); token saved in ${where}`)
  })
}

interface RangeImported {
  id: string
  first: string
  last: string
  size: number
  category: string
  input_sha256: string
}

/** Imports a range, showing the server's progress lines as a bar. */
export async function importRange(
  opts: GlobalOptions & { first: string; last: string; category: string; market?: string; json?: boolean },
) {
  await withApi(opts, async (api) => {
    const res = await api.raw(
      'POST',
      '/api/v1/ranges',
      { first: opts.first, last: opts.last, category: opts.category, ...(opts.market ? { market: opts.market } : {}) },
      { accept: 'application/x-ndjson' },
    )
    if (!res.ok || !res.body) throw rangeFailure(opts, api.refusal(res.status, await api.readJson(res)))
    const bar = new SingleBar(
      { format: 'importing {bar} {percentage}% | {value}/{total} numbers', hideCursor: true },
      Presets.shades_classic,
    )
    let result: RangeImported | undefined
    let buffer = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += Buffer.from(chunk).toString()
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const msg = JSON.parse(buffer.slice(0, nl))
          buffer = buffer.slice(nl + 1)
          if (msg.progress) {
            if (!bar.isActive) bar.start(msg.progress.total, 0)
            bar.update(msg.progress.done)
          } else if (msg.error)
            throw rangeFailure(opts, new ApiError(msg.error.code === 'database_unavailable' ? 503 : 409, msg.error))
          else result = msg.result
        }
      }
    } catch (err) {
      throw networkError(
        api.url,
        err,
        'during the import (it may or may not have completed: see GET /api/v1/ranges or `numguard lookup` of its first number)',
      )
    } finally {
      bar.stop()
    }
    if (!result) throw new CliError(`numguard at ${api.url} ended the import without saying how it went`)
    if (opts.json) return print(result)
    console.log(
      `imported ${plural(result.size, 'number')} ${result.first}–${result.last} (${result.category}); ` +
        `input SHA-256 ${result.input_sha256}`,
    )
  })
}

/** A range import the database dropped was rolled back whole (one transaction): say so, and that it can be re-run. */
function rangeFailure(opts: { first: string; last: string }, err: ApiError): Error {
  if (!isDatabaseUnavailable(err)) return err
  return new CliError(
    `the database was unavailable during the import, so nothing of ${opts.first}–${opts.last} was imported ` +
      '(the import is one transaction); run the same command again once the database is back',
  )
}

const SIM_CHUNK = 10_000
/** How many of the SIMs a refusal names are shown. */
const SHOWN_ICCIDS = 5
const PROBLEMS_SHOWN = 10
const HEADER = /^iccid\s*,/i

/** A line of a SIM file that holds a SIM: its line number in the file and the row as uploaded. */
export interface SimLine {
  line: number
  csv: string
}

/**
 * Validates a whole SIM file with the server's own parser (`parseSimCsv`) before anything is sent: every bad line
 * is reported with its line number in the file. Files longer than one server import are checked a window of
 * MAX_SIM_ROWS lines at a time (each padded to its place, so the line numbers stay the file's), and repeats across
 * windows are looked for here.
 */
export function validateSimFile(text: string, name: string): SimLine[] {
  const lines = text.split(/\r?\n/)
  const rows: SimLine[] = []
  const problems: { line: number; problem: string }[] = []
  let capped = false
  for (let start = 0; start < lines.length; start += MAX_SIM_ROWS) {
    const window = lines.slice(start, start + MAX_SIM_ROWS)
    const numbered = window
      .map((l, i) => ({ line: start + i + 1, text: l.trim() }))
      .filter((l) => l.text !== '' && !(l.line === 1 && HEADER.test(l.text)))
    if (numbered.length === 0) continue
    try {
      const parsed = parseSimCsv('\n'.repeat(start) + window.join('\n'))
      if (parsed.length !== numbered.length) throw new Error('parseSimCsv kept a different number of rows')
      parsed.forEach((r, i) => {
        rows.push({ line: numbered[i].line, csv: `${r.iccid},${r.imsi}` })
      })
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      const found = (err.details.problems ?? []) as { line: number; problem: string }[]
      if (found.length === 0) problems.push({ line: numbered[0].line, problem: err.message })
      // parseSimCsv names at most 50 problems.
      if (found.length >= 50) capped = true
      problems.push(...found)
    }
  }
  // Within a window parseSimCsv finds repeats; across windows they are found here.
  const seen = new Map<string, number>()
  for (const r of rows) {
    const [iccid, imsi] = r.csv.split(',')
    const earlier = seen.get(iccid) ?? seen.get(`imsi:${imsi}`)
    if (earlier !== undefined) problems.push({ line: r.line, problem: `repeats line ${count(earlier)}` })
    else seen.set(iccid, r.line).set(`imsi:${imsi}`, r.line)
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line)
    const shown = problems.slice(0, PROBLEMS_SHOWN).map((p) => `  line ${count(p.line)}: ${p.problem}`)
    const more = problems.length - shown.length
    throw new CliError(
      [
        `${name}: ${capped ? 'at least ' : ''}${plural(problems.length, 'line is', 'lines are')} not valid; nothing was imported`,
        ...shown,
        ...(more > 0 ? [`  … and ${capped ? 'at least ' : ''}${count(more)} more`] : []),
      ].join('\n'),
    )
  }
  if (rows.length === 0) throw new CliError(`${name} holds no SIMs (expected iccid,imsi lines)`)
  return rows
}

/** What a refused chunk named: the SIMs already in stock (the server names up to 20). */
function conflicting(err: ApiError): string {
  const existing = Array.isArray(err.details.existing) ? (err.details.existing as { iccid?: string }[]) : []
  const iccids = existing.map((e) => e.iccid).filter((i): i is string => typeof i === 'string')
  if (iccids.length === 0) return ''
  const shown = iccids.slice(0, SHOWN_ICCIDS).join(', ')
  const total = iccids.length >= 20 ? `at least ${plural(iccids.length, 'SIM')}` : plural(iccids.length, 'SIM')
  return `; already in stock: ${total}${iccids.length > SHOWN_ICCIDS ? ', among them' : ':'} ${shown}`
}

/**
 * Imports a SIM file: validated whole first (nothing is sent when a line is bad), then uploaded in chunks of
 * 10,000 SIMs, each one audited import. A chunk the server refuses stops the upload, saying which lines were
 * imported and which were not.
 */
export async function importSims(opts: GlobalOptions & { file: string }) {
  let text: string
  try {
    text = readFileSync(opts.file, 'utf8')
  } catch (err) {
    throw fileError(opts.file, err)
  }
  const rows = validateSimFile(text, opts.file)
  await withApi(opts, async (api) => {
    const bar = new SingleBar(
      { format: 'importing {bar} {percentage}% | {value}/{total} SIMs', hideCursor: true },
      Presets.shades_classic,
    )
    bar.start(rows.length, 0)
    let imported = 0
    let chunks = 0
    try {
      for (let i = 0; i < rows.length; i += SIM_CHUNK) {
        const chunk = rows.slice(i, i + SIM_CHUNK)
        try {
          const out = await api.request<{ imported: number }>('POST', '/api/v1/sims/import', {
            csv: chunk.map((r) => r.csv).join('\n'),
          })
          imported += out.imported
          chunks++
          bar.update(imported)
        } catch (err) {
          bar.stop()
          throw new CliError(refusedChunkMessage(rows, i, chunk.length, imported, err))
        }
      }
    } finally {
      bar.stop()
    }
    console.log(
      `imported ${plural(imported, 'SIM')} from ${opts.file} (${lineSpan(rows[0].line, rows[rows.length - 1].line)}, ` +
        `${plural(chunks, 'audited import')})`,
    )
  })
}

function refusedChunkMessage(rows: SimLine[], start: number, size: number, imported: number, err: unknown): string {
  const chunk = rows.slice(start, start + size)
  const span = lineSpan(chunk[0].line, chunk[chunk.length - 1].line)
  const done = start > 0 ? `imported ${lineSpan(rows[0].line, rows[start - 1].line)} (${plural(imported, 'SIM')})` : ''
  const were = (n: number) => (n === 1 ? 'was' : 'were')
  const outage = isDatabaseUnavailable(err)
  let what: string
  // The database went away: the chunk was one transaction, rolled back whole.
  if (outage) what = `${span} ${were(chunk.length)} not imported: the database was unavailable`
  else if (err instanceof ApiError)
    what = `${span} ${were(chunk.length)} refused: ${describeApiError(err)}${conflicting(err)}`
  // A network failure: the server may have committed the chunk before the answer was lost.
  else if (err instanceof CliError)
    what = `${span}: ${err.message} — whether they were imported is not known (see \`numguard lookup ${chunk[0].csv.split(',')[0]}\`)`
  else throw err
  const rest = rows.length - start - size
  const unsent =
    rest > 0 ? `; ${lineSpan(rows[start + size].line, rows[rows.length - 1].line)} ${were(rest)} not sent` : ''
  const parts = [done ? `${done}; ${what}${unsent}` : `nothing was imported: ${what}${unsent}`]
  if (outage)
    parts.push(
      done
        ? `Import the rest from line ${count(chunk[0].line)} on once the database is back.`
        : 'Run the same command again once the database is back.',
    )
  else if (done) parts.push(`Import the rest from line ${count(chunk[0].line)} on once the refused lines are fixed.`)
  return parts.join('\n')
}

export async function allocateSims(opts: GlobalOptions & { shop: string; count: number; json?: boolean }) {
  await withApi(opts, async (api) => {
    const out = await api.request<{ allocated: number; shop_id: string }>('POST', '/api/v1/sims/allocate', {
      shop_id: opts.shop,
      count: opts.count,
    })
    if (opts.json) return print(out)
    console.log(`allocated ${plural(out.allocated, 'SIM')} to ${out.shop_id}`)
  })
}

/** Finds what the query names and shows it. The query goes to the server as typed (it reads national numbers). */
export async function lookup(opts: GlobalOptions & { query: string; json?: boolean }) {
  await withApi(opts, async (api) => {
    const found = await api.request<{ kind: string; id: string }>(
      'GET',
      `/api/v1/lookup?q=${encodeURIComponent(opts.query)}`,
    )
    const path = { number: '/api/v1/numbers/', sim: '/api/v1/sims/', subscriber: '/api/v1/subscribers/' }[found.kind]
    if (!path) return print(found)
    const detail = await api.request<unknown>('GET', `${path}${encodeURIComponent(found.id)}`)
    if (opts.json) return print(detail)
    if (found.kind === 'number') console.log(numberView(detail as NumberDetail))
    else if (found.kind === 'sim') console.log(simView(detail as SimDetail))
    else console.log(subscriberView(detail as SubscriberDetail))
  })
}

interface Meta {
  mode: string
  now: string
  clock_movable: boolean
}

const clockLine = (now: string, movable: boolean) =>
  `numguard time: ${now} (${movable ? 'demo clock, movable' : 'wall clock'})`

export async function clockAdvance(opts: GlobalOptions & { by: string; json?: boolean }) {
  await withApi(opts, async (api) => {
    const out = await api.request<{ now: string; offset_ms: number }>('POST', '/api/v1/demo/clock/advance', {
      by: opts.by,
    })
    if (opts.json) return print(out)
    console.log(`${clockLine(out.now, true)}; moved forward ${opts.by}`)
  })
}

export async function clockShow(opts: GlobalOptions & { json?: boolean }) {
  await withApi(opts, async (api: Api) => {
    const meta = await api.request<Meta>('GET', '/api/v1/meta')
    if (opts.json) return print(meta)
    console.log(clockLine(meta.now, meta.clock_movable))
  })
}
