import { Command, InvalidArgumentError } from 'commander'
import { registerAuditVerify } from '../audit/index.ts'
import { loadConfig } from '../config.ts'
import { isSeeded, seedDemo } from '../demo/index.ts'
import { openApp, StartupRefusedError } from '../runtime.ts'
import { activityCommands } from './activity.ts'
import { adminCommands } from './admin.ts'
import { auditCommands } from './audit.ts'
import * as cmd from './commands.ts'
import { describeFailure } from './errors.ts'
import { demoSummaryText } from './format.ts'
import { reportCommands } from './reports.ts'
import { serve } from './serve.ts'
import { witnessCommands } from './witness.ts'
import { runWorker } from './worker.ts'

const program = new Command('numguard')
  .description('numguard: the system of record for phone-number custody')
  .option(
    '--url <url>',
    'a running numguard server (default: NUMGUARD_URL, or the one holding the data directory, or one started for this command)',
  )
  .option(
    '--token <token>',
    'a staff session token (default: NUMGUARD_TOKEN, then NUMGUARD_USERNAME/NUMGUARD_PASSWORD, then the token saved by `numguard login`)',
  )

const globals = () => program.opts<cmd.GlobalOptions>()
const positive = (v: string) => {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('It must be a whole number of 1 or more.')
  return n
}
const port = (v: string) => {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new InvalidArgumentError('It must be a TCP port, 0 to 65535.')
  return n
}

program
  .command('serve')
  .description('run the server, the console and the worker in one process')
  .option('-p, --port <port>', 'TCP port (default: PORT or 3000; 0 picks a free one)', port)
  .option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)')
  .option('--no-worker', 'do not run the worker loop in this process')
  .action((o) => serve({ port: o.port, host: o.host, worker: o.worker }))

program
  .command('worker')
  .description(
    'run the worker alone (PostgreSQL only): recycling sweeps, SMS, outboxes; any number may run side by side',
  )
  .option('-i, --interval <seconds>', 'seconds between passes', positive, 10)
  .option('--once', 'run passes until one finds nothing to do, then exit')
  .action((o) => runWorker({ interval: o.interval, once: o.once }))

program
  .command('migrate')
  .description('apply pending database migrations (as MIGRATION_DATABASE_URL, or the embedded database)')
  .action(async () => {
    const opened = await openApp(loadConfig())
    await opened.close()
    console.log('migrations are up to date')
  })

const demo = program.command('demo').description('demo data')
demo
  .command('seed')
  .description('load the demo data set into a fresh database (demo mode only)')
  .action(async () => {
    const config = loadConfig()
    if (config.mode === 'production') throw new StartupRefusedError(['demo data is refused in production mode'])
    const opened = await openApp(config)
    try {
      if (await isSeeded(opened.app.db)) return console.log('the demo data set is already loaded')
      console.log(demoSummaryText(await seedDemo(opened.app.deps, { secretKey: opened.app.config.kycKey })))
    } finally {
      await opened.close()
    }
  })

program
  .command('login')
  .description('sign in as a staff member and save the session token for later commands')
  .requiredOption('-u, --username <username>')
  .option('--password <password>', 'default: NUMGUARD_PASSWORD, else asked for on the terminal')
  .option(
    '--code <code>',
    'the MFA code of your authenticator app, when your role needs one; default: NUMGUARD_TOTP_CODE, else computed from NUMGUARD_TOTP_SECRET, else asked for',
  )
  .action((o) => cmd.login({ ...globals(), ...o }))

adminCommands(program, globals)
activityCommands(program, globals)
reportCommands(program, globals)
auditCommands(program, globals)
registerAuditVerify(program)
witnessCommands(program)

program
  .command('import-range <first> <last>')
  .description('import a range of mobile numbers, e.g. +85512000000 +85512099999')
  .option('-c, --category <category>', 'standard or golden', 'standard')
  .option('-m, --market <market>', "the range's market: KH, IN, MY or US (default: the server's NUMGUARD_COUNTRY)")
  .option('--json', 'print the result as JSON')
  .action((first, last, o) =>
    cmd.importRange({ ...globals(), first, last, category: o.category, market: o.market, json: o.json }),
  )

program
  .command('import-sims <file>')
  .description(
    'import SIM stock from a CSV file of iccid,imsi lines: the whole file is checked first, then sent 10,000 SIMs at a time',
  )
  .action((file) => cmd.importSims({ ...globals(), file }))

program
  .command('allocate-sims')
  .description('allocate SIMs from stock to a shop')
  .argument('<shop>', 'the shop id, e.g. kampot')
  .argument('<count>', 'how many SIMs', positive)
  .option('--json', 'print the result as JSON')
  .action((shop, count, o) => cmd.allocateSims({ ...globals(), shop, count, json: o.json }))

program
  .command('lookup <query>')
  .description(
    'show a number (MSISDN, international or national), a SIM (ICCID) or a subscriber (id) with its whole history',
  )
  .option('--json', 'print JSON')
  .action((query, o) => cmd.lookup({ ...globals(), query, json: o.json }))

const clock = program.command('clock').description('the demo clock')
clock
  .command('show')
  .description("print numguard's current time")
  .option('--json', 'print JSON')
  .action((o) => cmd.clockShow({ ...globals(), json: o.json }))
clock
  .command('advance <duration>')
  .description('move the demo clock forward, e.g. 30d, 12h (demo mode only)')
  .option('--json', 'print JSON')
  .action((by, o) => cmd.clockAdvance({ ...globals(), by, json: o.json }))

/** Commander's own errors (a bad argument, an unknown option) as one `numguard: …` line naming the command's help. */
function oneLineErrors(command: Command, path: string[] = []): void {
  const help = ['numguard', ...path, '--help'].join(' ')
  command.configureOutput({
    outputError: (text, write) =>
      write(
        `numguard: ${text
          .trim()
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')} (see ${help})\n`,
      ),
  })
  for (const sub of command.commands) oneLineErrors(sub, [...path, sub.name()])
}
oneLineErrors(program)

try {
  await program.parseAsync()
} catch (err) {
  const { text } = describeFailure(err)
  console.error(text)
  process.exitCode = 1
}
