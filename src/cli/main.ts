import { Command, InvalidArgumentError } from 'commander'
import { loadConfig } from '../config.ts'
import { DataDirInUseError } from '../db/lock.ts'
import { isSeeded, seedDemo } from '../demo/seed.ts'
import { DomainError } from '../domain/errors.ts'
import { openApp, StartupRefusedError } from '../runtime.ts'
import { adminCommands } from './admin.ts'
import { ApiError } from './api-client.ts'
import * as cmd from './commands.ts'
import { serve } from './serve.ts'

const program = new Command('numguard')
  .description('numguard: the system of record for phone-number custody')
  .option(
    '--url <url>',
    'a running numguard server (default: NUMGUARD_URL, or the one holding the data directory, or one started for this command)',
  )
  .option('--token <token>', 'a staff session token (default: NUMGUARD_TOKEN or the one saved by `numguard login`)')
  .showHelpAfterError()

const globals = () => program.opts<cmd.GlobalOptions>()
const positive = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number')
  return n
}

program
  .command('serve')
  .description('run the server, the console and the worker in one process')
  .option('-p, --port <port>', 'TCP port (default: PORT or 3000)', Number)
  .option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)')
  .option('--no-worker', 'do not run the worker loop in this process')
  .action((o) => serve({ port: o.port, host: o.host, worker: o.worker }))

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
      console.log(JSON.stringify(await seedDemo(opened.app.deps), null, 2))
    } finally {
      await opened.close()
    }
  })

program
  .command('login')
  .description('sign in as a staff member and save the session token for later commands')
  .requiredOption('-u, --username <username>')
  .option('--password <password>', 'default: NUMGUARD_PASSWORD')
  .action((o) => cmd.login({ ...globals(), ...o }))

adminCommands(program, globals)

program
  .command('import-range <first> <last>')
  .description('import a range of mobile numbers, e.g. +85512000000 +85512099999')
  .option('-c, --category <category>', 'standard or golden', 'standard')
  .action((first, last, o) => cmd.importRange({ ...globals(), first, last, category: o.category }))

program
  .command('import-sims <file>')
  .description('import SIM stock from a CSV file of iccid,imsi lines')
  .action((file) => cmd.importSims({ ...globals(), file }))

program
  .command('allocate-sims <shop> <count>')
  .description('allocate SIMs from stock to a shop')
  .action((shop, count) => cmd.allocateSims({ ...globals(), shop, count: positive(count) }))

program
  .command('lookup <query>')
  .description('show a number (MSISDN), a SIM (ICCID) or a subscriber (id) with its whole history')
  .option('--json', 'print JSON')
  .action((query, o) => cmd.lookup({ ...globals(), query, json: o.json }))

const clock = program.command('clock').description('the demo clock')
clock
  .command('show')
  .description("print numguard's current time")
  .action(() => cmd.clockShow(globals()))
clock
  .command('advance <duration>')
  .description('move the demo clock forward, e.g. 30d, 12h (demo mode only)')
  .action((by) => cmd.clockAdvance({ ...globals(), by }))

try {
  await program.parseAsync()
} catch (err) {
  if (err instanceof ApiError)
    console.error(
      `numguard: ${err.message} [${err.code}]${err.details && Object.keys(err.details).length ? ` ${JSON.stringify(err.details)}` : ''}`,
    )
  else if (err instanceof DomainError) console.error(`numguard: ${err.message} [${err.code}]`)
  else if (err instanceof DataDirInUseError || err instanceof StartupRefusedError)
    console.error(`numguard: ${err.message}`)
  else console.error(err)
  process.exitCode = 1
}
