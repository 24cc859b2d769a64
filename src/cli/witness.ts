// `numguard witness …`: run a witness (e.g. at the regulator) and make its key. Needs no numguard server or database.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import {
  generateWitnessKey,
  loadState,
  NoteError,
  parseSignerKey,
  parseVerifierKey,
  startWitnessServer,
  WitnessStateError,
} from '../audit/index.ts'
import { CliError, fileError } from './errors.ts'

const port = (v: string) => {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new InvalidArgumentError('It must be a TCP port, 0 to 65535.')
  return n
}
const collect = (v: string, all: string[]) => [...all, v]

function readKeyFile(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw fileError(file, err)
  }
  try {
    const key = parseSignerKey(text)
    if (key.type !== 'cosignature')
      throw new CliError(
        `${file} holds a note signing key, not a witness key (make one with \`numguard witness keygen\`)`,
      )
  } catch (err) {
    if (err instanceof NoteError) throw new CliError(`${file}: ${err.message}`)
    throw err
  }
  if ((statSync(file).mode & 0o077) !== 0)
    console.error(`numguard: warning: ${file} is readable by other users; chmod 600 it`)
  return text
}

/** `ORIGIN=VKEY`: the greedy origin may itself hold '=' (a key's base64 ends in one). */
const LOG_OPTION = /^(.+)=([^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*)$/

/**
 * One `--log`: the log's origin and its public key. C2SP tlog-checkpoint has the key name only SHOULD match the
 * origin, so the origin may be configured: `--log ORIGIN=VKEY`; a bare VKEY takes its key name as the origin.
 */
export function parseLogOption(value: string): { origin: string; vkey: string } {
  let origin: string | undefined
  let vkey = value
  let key: ReturnType<typeof parseVerifierKey>
  try {
    key = parseVerifierKey(value)
  } catch (bare) {
    const given = LOG_OPTION.exec(value)
    if (!given || !(bare instanceof NoteError)) throw bare instanceof NoteError ? explainKey(value, bare) : bare
    ;[, origin, vkey] = given
    try {
      key = parseVerifierKey(vkey)
    } catch (err) {
      throw err instanceof NoteError ? explainKey(value, err) : err
    }
  }
  if (key.type !== 'ed25519') throw new CliError(`--log ${value}: that is a witness key, not a log key`)
  if (origin !== undefined && origin.trim() !== origin)
    throw new CliError(`--log ${value}: the origin must have no spaces around it`)
  return { origin: origin ?? key.name, vkey }
}

const explainKey = (value: string, err: NoteError) => new CliError(`--log ${value}: ${err.message}`)

function logsFrom(values: string[]) {
  if (values.length === 0) throw new CliError('give at least one --log <vkey> (the public key of a log to witness)')
  return values.map(parseLogOption)
}

/** Expected failures (a damaged or locked state file, a port in use) as one line instead of a stack trace. */
const explain =
  (port?: number) =>
  (err: NodeJS.ErrnoException): never => {
    if (err instanceof WitnessStateError) throw new CliError(err.message)
    if (err.code === 'EADDRINUSE') throw new CliError(`port ${port} is in use; pass --port`)
    if (err.code === 'EACCES' && err.syscall === 'listen')
      throw new CliError(`port ${port} needs privileges; pass --port`)
    throw err
  }

export function witnessCommands(program: Command): void {
  const witness = program
    .command('witness')
    .description('a C2SP tlog-witness: cosigns a log’s checkpoints after checking they extend the last one it saw')

  witness
    .command('keygen <name>')
    .description('make a witness key: writes the private key file (mode 0600) and prints the public key (vkey)')
    .option('-o, --out <file>', 'where to write the private key', 'witness.key')
    .action((name: string, o: { out: string }) => {
      let key: { skey: string; vkey: string }
      try {
        key = generateWitnessKey(name)
      } catch (err) {
        if (err instanceof NoteError) throw new CliError(err.message)
        throw err
      }
      try {
        writeFileSync(o.out, `${key.skey}\n`, { mode: 0o600, flag: 'wx' })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST')
          throw new CliError(`${o.out} already exists; a witness key is never overwritten (choose another --out)`)
        throw err
      }
      console.error(`numguard: private key written to ${resolve(o.out)} (keep it secret); public key:`)
      console.log(key.vkey)
    })

  witness
    .command('serve')
    .description('run the witness HTTP server (POST /add-checkpoint, GET /checkpoint?origin=…)')
    .requiredOption('--state <file>', 'state file: the latest checkpoint cosigned per log (created if missing)')
    .requiredOption('--key <file>', 'the witness private key file (from `numguard witness keygen`)')
    .option(
      '--log <[origin=]vkey>',
      'a log to witness: its origin and public key, or the key alone when its name is the origin (repeatable)',
      collect,
      [],
    )
    .option('-p, --port <port>', 'TCP port', port, 7380)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (o: { state: string; key: string; log: string[]; port: number; host: string }) => {
      const witnessSkey = readKeyFile(o.key)
      const logs = logsFrom(o.log)
      const server = await startWitnessServer({
        port: o.port,
        host: o.host,
        stateFile: resolve(o.state),
        witnessSkey,
        logs,
      }).catch(explain(o.port))
      console.error(`numguard: witness listening on ${server.url}`)
      await new Promise<void>((done) => {
        const stop = () => {
          server.close().then(done, done)
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })

  witness
    .command('show')
    .description('print the latest checkpoint the witness cosigned for a log (to keep, or for `audit verify --since`)')
    .requiredOption('--state <file>', 'the witness state file')
    .requiredOption('--origin <origin>', 'the log origin')
    .action(async (o: { state: string; origin: string }) => {
      const state = await loadState(resolve(o.state)).catch(explain())
      const log = state.logs[o.origin]
      if (!log) throw new CliError(`the witness has cosigned nothing for origin "${o.origin}"`)
      process.stdout.write(log.note)
    })
}
