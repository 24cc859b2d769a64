// `numguard activity import FILE`: charging events from a file, through the same HTTP route the charging system
// uses, 10,000 events per audited batch. It acts as a machine client with the activity:ingest scope (never as a staff
// member: an invented top-up keeps a number from being recycled, so only the charging system's credentials may send one).
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { basename } from 'node:path'
import { createInterface } from 'node:readline'
import { Presets, SingleBar } from 'cli-progress'
import { type Command, Option } from 'commander'
import { csvHeader, detectFormat, type FileFormat, FileFormatError, parseLine } from './activity-file.ts'
import { type Api, withApi } from './api-client.ts'
import type { GlobalOptions } from './commands.ts'
import { ApiError, CliError, describeApiError, fileError, isDatabaseUnavailable } from './errors.ts'
import { count, lineSpan, plural } from './format.ts'

export const ACTIVITY_CHUNK = 10_000

export interface ActivityImportOptions extends GlobalOptions {
  file: string
  source?: string
  report?: string
  clientId?: string
  clientSecret?: string
  /** Events per request (tests use small chunks); at most 10,000. */
  chunk?: number
}

interface Problem {
  line: number
  external_id: string | null
  code: string
  message: string
}

interface BatchAnswer {
  batch_id: string
  accepted: number
  duplicate: number
  rejected: number
  rows: { index: number; external_id: string | null; code: string; message: string }[]
}

export function activityCommands(program: Command, globals: () => GlobalOptions): void {
  const activity = program.command('activity').description('charging activity (top-ups, payments, usage)')
  activity
    .command('import <file>')
    .description(
      'send charging events from an NDJSON or CSV file (header msisdn,kind,amount,occurred_at,source,external_id), 10,000 per audited batch; ' +
        'acts as a machine client with scope activity:ingest (NUMGUARD_CLIENT_ID / NUMGUARD_CLIENT_SECRET)',
    )
    .option('--source <source>', 'the source of events that name none')
    .option(
      '--report <file>',
      'write every refused line to this CSV file (line,external_id,code,message) instead of stderr',
    )
    .option('--client-id <id>', 'machine client id (default: NUMGUARD_CLIENT_ID)')
    .option(
      '--client-secret <secret>',
      'its secret (default: NUMGUARD_CLIENT_SECRET, which other users cannot see in ps)',
    )
    // Tests send small chunks to see several batches without writing 10,000-line files.
    .addOption(new Option('--chunk <n>', 'events per batch').argParser(Number).hideHelp())
    .action((file, o) => importActivity({ ...globals(), file, ...o }))
}

/** First pass: the file's SHA-256 and its line count (the progress bar's total), without holding it in memory. */
async function fingerprint(path: string): Promise<{ sha256: string; lines: number }> {
  const hash = createHash('sha256')
  let lines = 0
  let last = 10
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk)
      for (const byte of chunk) if (byte === 10) lines++
      if (chunk.length > 0) last = chunk[chunk.length - 1]
    }
  } catch (err) {
    throw fileError(path, err)
  }
  return { sha256: hash.digest('hex'), lines: last === 10 ? lines : lines + 1 }
}

async function machineSignIn(api: Api, clientId: string, secret: string): Promise<void> {
  api.token = undefined
  try {
    const out = await api.request<{ access_token: string }>('POST', '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'activity:ingest',
    })
    api.token = out.access_token
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    throw new CliError(`machine client ${clientId} could not obtain a token: ${describeApiError(err)}`)
  }
}

export async function importActivity(opts: ActivityImportOptions): Promise<void> {
  const clientId = opts.clientId ?? process.env.NUMGUARD_CLIENT_ID
  const secret = opts.clientSecret ?? process.env.NUMGUARD_CLIENT_SECRET
  if (!clientId || !secret)
    throw new CliError(
      'activity import acts as the charging system: give a machine client with scope activity:ingest ' +
        '(NUMGUARD_CLIENT_ID and NUMGUARD_CLIENT_SECRET, or --client-id and --client-secret)',
    )
  const chunkSize = opts.chunk ?? ACTIVITY_CHUNK
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > ACTIVITY_CHUNK)
    throw new CliError(`--chunk takes 1 to ${count(ACTIVITY_CHUNK)} events`)
  const { sha256, lines } = await fingerprint(opts.file)
  const report = opts.report ? openReport(opts.report) : undefined
  await withApi({ ...opts, token: undefined, anonymous: true }, async (api) => {
    await machineSignIn(api, clientId, secret)
    console.error(`numguard: acting as machine client ${clientId}`)
    const bar = new SingleBar(
      { format: 'ingesting {bar} {percentage}% | {value}/{total} lines', hideCursor: true },
      Presets.shades_classic,
    )
    bar.start(lines, 0)
    const totals = { events: 0, accepted: 0, duplicate: 0, rejected: 0, batches: 0 }
    const problems: Problem[] = []
    let sentThrough = 0
    const send = async (events: unknown[], lineNos: number[], lastLine: number) => {
      if (events.length === 0) return
      const claimed = { file: basename(opts.file), file_sha256: sha256, first_line: lineNos[0], last_line: lastLine }
      const body = { ...(opts.source ? { source: opts.source } : {}), events }
      let answer: BatchAnswer
      try {
        answer = await postBatch(api, body, claimed, () => machineSignIn(api, clientId, secret))
      } catch (err) {
        bar.stop()
        throw chunkFailure(err, sentThrough, totals, lineNos[0], lastLine)
      }
      totals.events += events.length
      totals.accepted += answer.accepted
      totals.duplicate += answer.duplicate
      totals.rejected += answer.rejected
      totals.batches++
      for (const r of answer.rows)
        if (r.code !== 'duplicate')
          problems.push({ line: lineNos[r.index], external_id: r.external_id, code: r.code, message: r.message })
      sentThrough = lastLine
    }
    try {
      await readEvents(opts.file, chunkSize, problems, send, (line) => bar.update(line))
    } finally {
      bar.update(lines)
      bar.stop()
    }
    problems.sort((a, b) => a.line - b.line)
    const localRejected = problems.length - totals.rejected
    writeProblems(problems, report, opts.report)
    if (report) await new Promise((resolve) => report.end(resolve))
    console.log(
      `ingested ${opts.file} (SHA-256 ${sha256}): ${plural(totals.events + localRejected, 'event')} in ${plural(totals.batches, 'audited batch', 'audited batches')} — ` +
        `accepted ${count(totals.accepted)}, already recorded ${count(totals.duplicate)}, refused ${count(problems.length)}`,
    )
    if (problems.length > 0) process.exitCode = 1
  })
}

/** Second pass: parses line by line and hands over chunks; waits for each chunk's answer before reading on. */
async function readEvents(
  path: string,
  chunkSize: number,
  problems: Problem[],
  send: (events: unknown[], lineNos: number[], lastLine: number) => Promise<void>,
  progress: (line: number) => void,
): Promise<void> {
  const input = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY })
  let format: FileFormat | undefined
  let header: string[] | undefined
  let events: unknown[] = []
  let lineNos: number[] = []
  let lineNo = 0
  try {
    for await (const raw of input) {
      lineNo++
      const line = raw.trim()
      if (line === '') continue
      format ??= detectFormat(path, line)
      if (format === 'csv' && !header) {
        try {
          header = csvHeader(line)
        } catch (err) {
          if (err instanceof FileFormatError)
            throw new CliError(`${path}, line ${lineNo}: ${err.message}; nothing was sent`)
          throw err
        }
        continue
      }
      try {
        events.push(parseLine(line, format, header))
        lineNos.push(lineNo)
      } catch (err) {
        if (!(err instanceof FileFormatError)) throw err
        problems.push({ line: lineNo, external_id: null, code: 'invalid', message: err.message })
      }
      if (events.length >= chunkSize) {
        await send(events, lineNos, lineNo)
        progress(lineNo)
        events = []
        lineNos = []
      }
    }
  } catch (err) {
    throw fileError(path, err)
  }
  await send(events, lineNos, lineNo)
}

/** One batch; an access token that expired during a long import is renewed once and the batch sent again. */
async function postBatch(
  api: Api,
  body: unknown,
  claimed: Record<string, unknown>,
  renew: () => Promise<void>,
): Promise<BatchAnswer> {
  // HTTP headers are ASCII: escape anything else in the file name.
  const header = JSON.stringify(claimed).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  try {
    return await api.request<BatchAnswer>('POST', '/api/v1/activity', body, { 'x-numguard-input': header })
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err
    await renew()
    return api.request<BatchAnswer>('POST', '/api/v1/activity', body, { 'x-numguard-input': header })
  }
}

function chunkFailure(
  err: unknown,
  sentThrough: number,
  totals: { batches: number; events: number },
  first: number,
  last: number,
): Error {
  const done =
    sentThrough > 0
      ? `lines 1–${count(sentThrough)} were ingested (${plural(totals.batches, 'batch', 'batches')}, ${plural(totals.events, 'event')}); `
      : 'nothing was ingested; '
  const span = lineSpan(first, last)
  let what: string
  // The database went away: that batch was one transaction, rolled back whole.
  if (isDatabaseUnavailable(err)) what = `${span} were not stored: the database was unavailable`
  else if (err instanceof ApiError) what = `${span} were refused: ${describeApiError(err)}`
  else if (err instanceof CliError) what = `${span}: ${err.message} — whether they were stored is not known`
  else return err as Error
  return new CliError(
    `${done}${what}. Run the import again once ${isDatabaseUnavailable(err) ? 'the database is back' : 'fixed'}: ` +
      'events already stored are reported as duplicates, not stored twice.',
  )
}

function openReport(path: string): WriteStream {
  const stream = createWriteStream(path, { flags: 'w' })
  stream.on('error', (err) => {
    console.error(`numguard: cannot write the report ${path}: ${err.message}`)
    process.exitCode = 1
  })
  stream.write('line,external_id,code,message\n')
  return stream
}

const csvCell = (v: string | number | null) => {
  const s = v === null ? '' : String(v)
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

function writeProblems(problems: Problem[], report: WriteStream | undefined, reportPath?: string): void {
  if (report) {
    for (const p of problems) report.write(`${[p.line, p.external_id, p.code, p.message].map(csvCell).join(',')}\n`)
    if (problems.length > 0)
      console.error(`numguard: ${plural(problems.length, 'refused line')} written to ${reportPath}`)
    return
  }
  for (const p of problems) console.error(`line ${count(p.line)}: [${p.code}] ${p.message}`)
}
