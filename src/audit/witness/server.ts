// `numguard witness serve`: the C2SP tlog-witness HTTP interface over node:http.
//   POST /add-checkpoint            the spec's submission endpoint
//   GET  /checkpoint?origin=<o>     the latest checkpoint it cosigned for a log (with its cosignature), for monitors
//                                   and for `numguard audit verify --since`
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MAX_REQUEST_BYTES } from './protocol.ts'
import { loadState, lockStateFile } from './state.ts'
import { Witness, type WitnessLogConfig, type WitnessLogger } from './witness.ts'

export type { WitnessLogConfig, WitnessLogger }
export type WitnessServerOptions = {
  port: number
  host?: string
  stateFile: string
  witnessSkey: string
  logs: readonly WitnessLogConfig[]
  /** POSIX seconds; the injected clock for cosignature timestamps. */
  now?: () => number
  log?: WitnessLogger
}
export type WitnessServer = { server: Server; url: string; witness: Witness; close: () => Promise<void> }

const jsonLineLogger: WitnessLogger = (level, msg, fields) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`)

class TooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_REQUEST_BYTES) throw new TooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export async function startWitnessServer(opts: WitnessServerOptions): Promise<WitnessServer> {
  const log = opts.log ?? jsonLineLogger
  const unlock = await lockStateFile(opts.stateFile)
  let witness: Witness
  try {
    witness = new Witness({
      witnessSkey: opts.witnessSkey,
      stateFile: opts.stateFile,
      state: await loadState(opts.stateFile),
      logs: opts.logs,
      now: opts.now ?? (() => Math.floor(Date.now() / 1000)),
      log,
    })
  } catch (err) {
    await unlock()
    throw err
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://witness')
    if (url.pathname === '/add-checkpoint') {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'use POST\n')
      let body: Buffer
      try {
        body = await readBody(req)
      } catch (err) {
        if (err instanceof TooLarge)
          return send(res, 413, 'text/plain', `request larger than ${MAX_REQUEST_BYTES} bytes\n`)
        throw err
      }
      const reply = await witness.addCheckpoint(body)
      return send(res, reply.status, reply.contentType, reply.body)
    }
    if (url.pathname === '/checkpoint' && req.method === 'GET') {
      const origin = url.searchParams.get('origin') ?? ''
      const note = witness.latest(origin)
      if (!note) return send(res, 404, 'text/plain', `no checkpoint cosigned for origin "${origin}"\n`)
      return send(res, 200, 'text/plain; charset=utf-8', note)
    }
    send(res, 404, 'text/plain', 'not found\n')
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log('error', 'witness: request failed', { error: err.message })
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n')
      else res.destroy()
    })
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve())
    })
  } catch (err) {
    await unlock()
    throw err
  }
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  log('info', 'witness: listening', { name: witness.name, url: `http://${host}:${addr.port}`, logs: opts.logs.length })
  return {
    server,
    url: `http://${host}:${addr.port}`,
    witness,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await unlock()
    },
  }
}
