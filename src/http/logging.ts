// One log line per response, framework refusals and timeouts included, with no secret from a query string in it.
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'

/** Query parameters whose value is a credential: a client may put one in a URL, the log must not keep it. */
const SECRET_PARAM = /token|secret|password|passwd|code|otp|key|session|signature|auth|credential/i

/** The URL with every secret-looking query value replaced: `/x?token=abc&page=2` → `/x?token=[redacted]&page=2`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const redacted = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const rawName = eq < 0 ? pair : pair.slice(0, eq)
      let name = rawName
      try {
        name = decodeURIComponent(rawName.replaceAll('+', ' '))
      } catch {
        // A name that does not decode is judged as written.
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${rawName}=[redacted]` : pair
    })
  return `${url.slice(0, q)}?${redacted.join('&')}`
}

interface LoggedRequest {
  method?: string
  url?: string
  ip?: string
  host?: string
  socket?: { remoteAddress?: string; remotePort?: number }
}

/** pino serializers for the server's logger: Fastify's own `req` shape, with the URL redacted. */
export const httpLogSerializers = {
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  }),
}

/** The server's logger: the app's, with the redacting serializers (a child, so the app's own logger is untouched). */
export function serverLogger(logger: Logger): Logger {
  return logger.child({}, { serializers: httpLogSerializers })
}

/** A response as one line: what was asked, what came back, how long it took. */
export function logResponse(request: FastifyRequest, reply: FastifyReply): void {
  const line = { req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }
  if (reply.statusCode >= 500) request.log.error(line, 'request completed')
  else request.log.info(line, 'request completed')
}

export function installRequestLogging(server: FastifyInstance): void {
  server.addHook('onResponse', async (request, reply) => logResponse(request, reply))
  server.addHook('onTimeout', async (request) => {
    request.log.warn({ req: request }, 'connection idle too long: closed')
  })
  server.addHook('onRequestAbort', async (request) => {
    request.log.info({ req: request }, 'request aborted by the client')
  })
}

const CLIENT_ERRORS: Record<string, { status: number; text: string; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    text: 'Request Timeout',
    code: 'request_timeout',
    message: 'The request did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    text: 'Request Header Fields Too Large',
    code: 'headers_too_large',
    message: 'The request headers are too large',
  },
}

/**
 * Node's `clientError`: a request that timed out or did not parse never reaches a route, so it is answered and
 * logged here (Fastify's default logs it at trace level only).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  err: NodeJS.ErrnoException & { rawPacket?: unknown },
  socket: Socket,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const known = CLIENT_ERRORS[err.code ?? '']
  const reply = known ?? {
    status: 400,
    text: 'Bad Request',
    code: 'invalid_input',
    message: 'The request is not valid HTTP',
  }
  this.log.info(
    { res: { statusCode: reply.status }, error: err.code, remoteAddress: socket.remoteAddress },
    known?.status === 408 ? 'request timed out: closed' : 'malformed request: closed',
  )
  // Nothing was written yet on this connection for this request: an answer cannot corrupt one in progress.
  if (socket.writable && socket.bytesWritten === 0) {
    const body = JSON.stringify({ code: reply.code, message: reply.message, details: {} })
    socket.write(
      `HTTP/1.1 ${reply.status} ${reply.text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy(err)
}
