import { createServer } from 'node:net'
import { resolve } from 'node:path'
import type { App } from '../app.ts'
import { startAuditLog } from '../audit/index.ts'
import { loadConfig } from '../config.ts'
import { readLock } from '../db/lock.ts'
import { DEMO_CREDENTIALS, DEMO_MACHINE_CLIENTS, isSeeded, seedDemo } from '../demo/index.ts'
import { buildServer, listenMetrics } from '../http/index.ts'
import { openApp } from '../runtime.ts'
import { startWorker } from '../worker/index.ts'
import { CliError } from './errors.ts'
import { demoSummaryText } from './format.ts'

/** Why the server cannot listen, in a line: `port 3000 is in use; set PORT or pass --port`. */
function listenError(err: unknown, host: string, port: number): Error {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new CliError(`port ${port} is in use; set PORT or pass --port`)
    case 'EACCES':
      return new CliError(`port ${port} needs privileges this process does not have; set PORT or pass --port`)
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(`cannot listen on ${host}: no such address here; set HOST or pass --host`)
    default:
      return err as Error
  }
}

/** Tries the address before the database is opened and demo data loaded, so a port in use fails at once. */
function probe(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', (err) => reject(listenError(err, host, port)))
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()))
  })
}

export async function serve(options: { port?: number; host?: string; worker: boolean }): Promise<void> {
  const config = loadConfig()
  if (options.port !== undefined) config.port = options.port
  if (options.host) config.host = options.host
  const started = Date.now()
  try {
    await probe(config.host, config.port)
  } catch (err) {
    // A second numguard on this data directory is most likely what holds the port: openApp says which process.
    if (config.databaseUrl || !readLock(resolve(config.dataDir))) throw err
  }
  const opened = await openApp(config, { sms: true })
  const { app } = opened
  const { server, metrics } = await buildServer(app)
  // The embedded database is the demo's own: it gets demo data on first start. A PostgreSQL database gets it only
  // when asked (`numguard demo seed`), so a forgotten NUMGUARD_MODE never fills a real database with demo accounts.
  if (config.mode === 'demo' && app.database.kind === 'pglite' && !(await isSeeded(app.db))) {
    console.log('numguard: loading the demo data set (first start only)…')
    console.log(`numguard: ${demoSummaryText(await seedDemo(app.deps, { secretKey: app.config.kycKey }))}`)
  }
  const worker = options.worker ? startWorker(app) : undefined
  // The audit log integrates and signs within moments of each command (lag ≤ 2 s), worker or not.
  const auditLog = startAuditLog(app)
  let url: string
  try {
    url = await server.listen({ host: config.host, port: config.port })
  } catch (err) {
    await worker?.stop()
    await auditLog.stop()
    await opened.close()
    throw listenError(err, config.host, config.port)
  }
  opened.setUrl(url)
  let metricsUrl: string | undefined
  let metricsListener: Awaited<ReturnType<typeof listenMetrics>>
  try {
    metricsListener = config.http ? await listenMetrics(metrics, config.http) : undefined
    metricsUrl = metricsListener?.url
  } catch (err) {
    await server.close()
    await metricsListener?.close()
    await worker?.stop()
    await auditLog.stop()
    await opened.close()
    const at = config.http?.metricsListen
    throw new CliError(
      `cannot serve /metrics on ${at?.host}:${at?.port} (${(err as NodeJS.ErrnoException).code ?? String(err)}); set NUMGUARD_METRICS_LISTEN`,
    )
  }
  printBanner(app, url, Date.now() - started, metricsUrl)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.logger.info({ signal }, 'stopping')
    await server.close()
    await worker?.stop()
    await auditLog.stop()
    await opened.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

function printBanner(app: App, url: string, ms: number, metricsUrl?: string): void {
  const base = url.replace('127.0.0.1', 'localhost')
  const db = app.database.kind === 'pglite' ? `embedded PGlite in ${app.config.dataDir}` : 'PostgreSQL'
  const lines = [
    '',
    `numguard is ready in ${(ms / 1000).toFixed(1)} s — ${app.config.mode} mode, ${db}`,
    `  console   ${base}/`,
    `  API docs  ${base}/docs   (OpenAPI 3: ${base}/openapi.json)`,
    `  health    ${base}/healthz   metrics ${metricsUrl ?? `${base}/metrics`}`,
    `  clock     ${app.clock.now().toISOString()}${app.movableClock ? '  (demo: npx numguard clock advance 30d)' : ''}`,
  ]
  if (app.config.mode === 'demo') {
    lines.push('', 'Demo sign-ins (published demo passwords; production refuses them):')
    for (const c of DEMO_CREDENTIALS)
      lines.push(`  ${c.username.padEnd(16)} ${c.password.padEnd(24)} ${c.role}${c.shop ? ` @ ${c.shop}` : ''}`)
    lines.push(
      '',
      'Demo MFA (supervisors, compliance officers, admin): add the DEMO TOTP secret to an authenticator app,',
      'or let the CLI compute codes: NUMGUARD_TOTP_SECRET=<secret>. Published DEMO secrets; production refuses them:',
    )
    for (const c of DEMO_CREDENTIALS) if (c.totpSecret) lines.push(`  ${c.username.padEnd(16)} ${c.totpSecret}`)
    lines.push('', 'Demo partner (CAMARA APIs at /camara; DEMO client secret, production refuses demo clients):')
    for (const c of DEMO_MACHINE_CLIENTS.filter((m) => m.purpose))
      lines.push(
        `  client_id ${c.clientId}  client_secret ${c.secret}`,
        `  curl -s -d grant_type=client_credentials -d client_id=${c.clientId} -d client_secret=${c.secret} ${base}/oauth/token`,
      )
  }
  console.log(`${lines.join('\n')}\n`)
}
