// smpps:// checks the SMSC's certificate (the smpp package alone would accept any). The certificate is made with
// openssl at test time; without openssl the test checks the option plumbing against a plain TCP listener instead.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeSms } from '../encoding.ts'
import { startSmscSimulator } from '../simulator/index.ts'
import { createSmppTransport } from './client.ts'
import { capturingLogger, untilBound, waitForStatus } from './test-support.ts'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0
const dir = mkdtempSync(join(tmpdir(), 'numguard-smpps-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function selfSignedCertificate(): { key: string; cert: string } {
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') }
}

describe('smpps://', () => {
  it('refuses a self-signed SMSC certificate by default and accepts it when its CA is given', async () => {
    const backoff = { initialMs: 5, maxMs: 20 }
    if (!hasOpenssl) {
      // No certificate to test with: a TLS client against a plain TCP listener must fail and stay unbound.
      const plain = createServer((socket) => socket.end('not tls'))
      await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r))
      const port = (plain.address() as { port: number }).port
      const { logger } = capturingLogger()
      const t = createSmppTransport(`smpps://ng:pw@127.0.0.1:${port}`, { backoff }, logger)
      const status = await waitForStatus(t, (s) => !s.bound && Boolean(s.reason))
      expect(t.bound).toBe(false)
      expect(status.reason).not.toBe('')
      await t.close()
      await new Promise<void>((r) => plain.close(() => r()))
      return
    }
    const tls = selfSignedCertificate()
    const sim = await startSmscSimulator({ tls })
    expect(sim.url.startsWith('smpps://')).toBe(true)
    try {
      const { logger, lines } = capturingLogger()
      const refused = createSmppTransport(sim.url, { backoff }, logger)
      const status = await waitForStatus(refused, (s) => !s.bound && Boolean(s.reason))
      expect(status.reason).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
      expect(refused.bound).toBe(false)
      expect(sim.stats().binds).toBe(0)
      await refused.close()
      expect(lines.some((l) => l.includes('verification is OFF'))).toBe(false)

      const trusted = createSmppTransport(sim.url, { backoff, ca: tls.cert }, logger)
      await untilBound(trusted)
      const [part] = encodeSms('over TLS', 1)
      await trusted.submitPart({ to: '+85512345678', from: 'numguard', part, priority: 'otp' })
      expect(sim.inbox('+85512345678').map((m) => m.text)).toEqual(['over TLS'])
      await trusted.close()

      // Turning verification off is possible only explicitly, and is logged.
      const insecure = createSmppTransport(sim.url, { backoff, rejectUnauthorized: false }, logger)
      await untilBound(insecure)
      expect(lines.some((l) => l.includes('verification is OFF'))).toBe(true)
      await insecure.close()
    } finally {
      await sim.close()
    }
  })
})
