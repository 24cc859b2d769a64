// `npm test`: runs the three vitest suites in order (postgres, pglite, browser), says loudly which could not run,
// and ends with one line `tests: N passed, N failed`. Arguments after `npm test --` go to every vitest run.
//   NUMGUARD_REQUIRE_ALL=1  a suite that cannot run fails the run (CI sets it)
//   TEST_DATABASE_URL       the PostgreSQL suite's server; unset, a local postgres@127.0.0.1:5432/test is tried
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
const CHROMIUM = '/usr/bin/chromium'
const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/test'
const requireAll = process.env.NUMGUARD_REQUIRE_ALL === '1'
const extraArgs = process.argv.slice(2)

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`numguard tests need Node 22+ (this is ${process.version}); run them with \`npm test\`.`)
  process.exit(1)
}

const results = []
const tmp = mkdtempSync(join(tmpdir(), 'numguard-test-'))
try {
  await runPostgres()
  await runSuite('pglite', {})
  await runBrowser()
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
process.exit(summarize())

async function runPostgres() {
  const given = process.env.TEST_DATABASE_URL
  const url = given || LOCAL_URL
  const problem = await probe(url)
  if (!problem) return runSuite('postgres', { TEST_DATABASE_URL: url })
  if (given) {
    // Asked for PostgreSQL by name and it is not there: that is an error, not a suite to skip.
    return notRun('postgres', `TEST_DATABASE_URL (${redact(given)}) does not answer: ${problem}`, true)
  }
  const why = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|timeout/i.test(problem)
    ? 'no server at 127.0.0.1:5432 and TEST_DATABASE_URL unset'
    : `127.0.0.1:5432 refused postgres@test (${problem}) and TEST_DATABASE_URL unset`
  notRun('postgres', why, requireAll)
}

async function runBrowser() {
  const files = browserTestFiles()
  if (files.length === 0) {
    results.push({ suite: 'browser', state: 'none', note: 'no *.browser.test.ts files' })
    console.log('\nbrowser suite: no *.browser.test.ts files, nothing to run')
    return
  }
  if (!existsSync(CHROMIUM)) {
    return notRun('browser', `${CHROMIUM} not found (${files.length} browser test file(s) waiting)`, requireAll)
  }
  await runSuite('browser', {})
}

async function probe(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (err) {
    return err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message || String(err)
  } finally {
    await client.end().catch(() => {})
  }
}

async function runSuite(suite, extraEnv) {
  const jsonFile = join(tmp, `${suite}.json`)
  const env = { ...process.env, ...extraEnv, NUMGUARD_SUITE: suite }
  if (suite !== 'postgres') delete env.TEST_DATABASE_URL
  // Anything the tests spawn as `node` gets this Node too, not the system's.
  env.PATH = [dirname(process.execPath), join(ROOT, 'node_modules', '.bin'), env.PATH].join(delimiter)
  // A file filter that matches nothing in one suite (a *.pg.test.ts under pglite) is fine; the total is checked below.
  const args = [VITEST, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`]
  if (extraArgs.length > 0) args.push('--passWithNoTests')
  args.push(...extraArgs)

  console.log(`\n━━━ ${suite} suite ━━━`)
  const started = performance.now()
  const exit = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' })
    child.on('error', (err) => resolve({ code: null, signal: null, error: err }))
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  const seconds = (performance.now() - started) / 1000

  let report = null
  try {
    report = JSON.parse(readFileSync(jsonFile, 'utf8'))
  } catch {}
  const passed = report?.numPassedTests ?? 0
  const failed = report?.numFailedTests ?? 0
  // A file that fails to import, or whose beforeAll throws, fails with no failed test in it.
  const brokenFiles = (report?.testResults ?? []).filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  )
  const problems = []
  if (exit.error) problems.push(`could not start vitest: ${exit.error.message}`)
  if (exit.signal) problems.push(`vitest killed by ${exit.signal}`)
  if (!report) problems.push('vitest wrote no JSON report')
  if (brokenFiles.length > 0)
    problems.push(
      `failed outside any test (import or hook): ${brokenFiles.map((f) => relative(ROOT, f.name)).join(', ')}`,
    )
  if (exit.code !== 0 && failed === 0 && problems.length === 0)
    problems.push(`vitest exited ${exit.code} with no failed test`)
  results.push({ suite, state: 'ran', passed, failed, seconds, problems, ok: exit.code === 0 && problems.length === 0 })
}

function notRun(suite, reason, fatal) {
  results.push({ suite, state: 'not run', note: reason, fatal })
  const lines = [`SUITE NOT RUN: ${suite} — ${reason}`]
  lines.push(fatal ? 'This fails the run.' : 'Set NUMGUARD_REQUIRE_ALL=1 to make this a failure (CI does).')
  const width = Math.max(...lines.map((l) => l.length))
  const bar = '═'.repeat(width + 2)
  console.log(`\n╔${bar}╗\n${lines.map((l) => `║ ${l.padEnd(width)} ║`).join('\n')}\n╚${bar}╝`)
}

function browserTestFiles() {
  return ['src', 'test'].flatMap((dir) => {
    const abs = join(ROOT, dir)
    if (!existsSync(abs)) return []
    return readdirSync(abs, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.browser.test.ts') && !f.split(/[\\/]/).includes('node_modules'))
  })
}

function summarize() {
  let passed = 0
  let failed = 0
  let bad = false
  console.log('\n━━━ summary ━━━')
  for (const r of results) {
    if (r.state === 'ran') {
      passed += r.passed
      failed += r.failed
      if (!r.ok || r.failed > 0) bad = true
      const verdict = r.ok && r.failed === 0 ? 'ok' : 'FAILED'
      const detail = r.problems.length > 0 ? `  (${r.problems.join('; ')})` : ''
      console.log(
        `${r.suite.padEnd(9)} ${verdict.padEnd(7)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed  ${r.seconds.toFixed(1)}s${detail}`,
      )
    } else {
      if (r.fatal) bad = true
      const verdict = r.state === 'none' ? '-' : r.fatal ? 'NOT RUN (failure)' : 'NOT RUN'
      console.log(`${r.suite.padEnd(9)} ${verdict}  ${r.note}`)
    }
  }
  if (extraArgs.length > 0 && passed + failed === 0 && results.some((r) => r.state === 'ran')) {
    console.log(`no test matched ${JSON.stringify(extraArgs.join(' '))} in any suite`)
    bad = true
  }
  console.log(`tests: ${passed} passed, ${failed} failed`)
  return bad ? 1 : 0
}

function redact(url) {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}
