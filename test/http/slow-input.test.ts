// Issue 9 item 5: a client that promises a body and stalls cannot hold a connection open. The request timeout is
// configurable (NUMGUARD_REQUEST_TIMEOUT_MS); here 1 s, and the test waits on the socket's own 'close' event.
import { type AddressInfo, connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_REQUEST_TIMEOUT_MS, loadHttpConfig } from '../../src/platform/http-config.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let port: number

beforeAll(async () => {
  t = await openTestApp({ http: { requestTimeoutMs: 1_000 } })
  await t.server.listen({ host: '127.0.0.1', port: 0 })
  port = (t.server.server.address() as AddressInfo).port
})
afterAll(() => t.close())

/** Sends `text` on a fresh connection and resolves with everything the server wrote once it closes the socket. */
function sendAndAwaitClose(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = ''
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => socket.write(text))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
  })
}

describe('slow and stalled requests', () => {
  it('closes a connection whose body stalls after 11 of the 1,000 bytes it promised, with a 408', async () => {
    const answer = await sendAndAwaitClose(
      'POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"username"',
    )
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('"code":"request_timeout"')
  })

  it('closes a connection whose headers never finish', async () => {
    const answer = await sendAndAwaitClose('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('still answers a request that arrives whole', async () => {
    const answer = await sendAndAwaitClose('GET /api/v1/meta HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
  })

  it('defaults to a timeout that closes a stalled body well within 30 s, and reads NUMGUARD_REQUEST_TIMEOUT_MS', () => {
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(25_000)
    expect(loadHttpConfig({}, 'demo').requestTimeoutMs).toBe(DEFAULT_REQUEST_TIMEOUT_MS)
    expect(loadHttpConfig({ NUMGUARD_REQUEST_TIMEOUT_MS: '1500' }, 'demo').requestTimeoutMs).toBe(1500)
    expect(() => loadHttpConfig({ NUMGUARD_REQUEST_TIMEOUT_MS: 'soon' }, 'demo')).toThrow(/NUMGUARD_REQUEST_TIMEOUT_MS/)
  })
})
