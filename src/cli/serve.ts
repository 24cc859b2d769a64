import type { App } from '../app.ts'
import { loadConfig } from '../config.ts'
import { DEMO_CREDENTIALS, isSeeded, seedDemo } from '../demo/seed.ts'
import { buildServer } from '../http/server.ts'
import { openApp } from '../runtime.ts'
import { startWorker } from '../worker/loop.ts'

export async function serve(options: { port?: number; host?: string; worker: boolean }): Promise<void> {
  const config = loadConfig()
  if (options.port !== undefined) config.port = options.port
  if (options.host) config.host = options.host
  const started = Date.now()
  const opened = await openApp(config)
  const { app } = opened
  const { server } = await buildServer(app)
  // The embedded database is the demo's own: it gets demo data on first start. A PostgreSQL database gets it only
  // when asked (`numguard demo seed`), so a forgotten NUMGUARD_MODE never fills a real database with demo accounts.
  if (config.mode === 'demo' && app.database.kind === 'pglite' && !(await isSeeded(app.db))) {
    console.log('numguard: loading the demo data set (first start only)…')
    const summary = await seedDemo(app.deps)
    const states = Object.entries(summary.numbers.byState)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n.toLocaleString('en')} ${s}`)
    console.log(
      `numguard: demo data loaded: ${summary.numbers.total.toLocaleString('en')} numbers (${states.join(', ')}), ` +
        `${summary.subscribers.toLocaleString('en')} subscribers, ${summary.sims.total.toLocaleString('en')} SIMs, ${summary.staff} staff`,
    )
  }
  const worker = options.worker ? startWorker(app) : undefined
  let url: string
  try {
    url = await server.listen({ host: config.host, port: config.port })
  } catch (err) {
    await worker?.stop()
    await opened.close()
    throw err
  }
  opened.setUrl(url)
  printBanner(app, url, Date.now() - started)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.logger.info({ signal }, 'stopping')
    await server.close()
    await worker?.stop()
    await opened.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

function printBanner(app: App, url: string, ms: number): void {
  const base = url.replace('127.0.0.1', 'localhost')
  const db = app.database.kind === 'pglite' ? `embedded PGlite in ${app.config.dataDir}` : 'PostgreSQL'
  const lines = [
    '',
    `numguard is ready in ${(ms / 1000).toFixed(1)} s — ${app.config.mode} mode, ${db}`,
    `  console   ${base}/`,
    `  API docs  ${base}/docs   (OpenAPI 3: ${base}/openapi.json)`,
    `  health    ${base}/healthz   metrics ${base}/metrics`,
    `  clock     ${app.clock.now().toISOString()}${app.movableClock ? '  (demo: npx numguard clock advance 30d)' : ''}`,
  ]
  if (app.config.mode === 'demo') {
    lines.push('', 'Demo sign-ins (published demo passwords; production refuses them):')
    for (const c of DEMO_CREDENTIALS)
      lines.push(`  ${c.username.padEnd(16)} ${c.password.padEnd(24)} ${c.role}${c.shop ? ` @ ${c.shop}` : ''}`)
  }
  console.log(`${lines.join('\n')}\n`)
}
