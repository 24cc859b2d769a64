// Administration from the command line: the first admin straight on the database, then shops, staff and machine
// clients through the HTTP API as that admin.
import { hostname, userInfo } from 'node:os'
import type { Command } from 'commander'
import { runCommand } from '../audit/index.ts'
import { loadConfig } from '../config.ts'
import { ValidationError } from '../domain/errors.ts'
import { ROLES } from '../domain/roles.ts'
import { openApp } from '../runtime.ts'
import { bootstrapStaff, MACHINE_SCOPE_NAMES } from '../staff/index.ts'
import { withApi } from './api-client.ts'
import type { GlobalOptions } from './commands.ts'

const collect = (value: string, previous: string[] = []) => [...previous, value]

export function adminCommands(program: Command, globals: () => GlobalOptions): void {
  const staff = program.command('staff').description('staff accounts')
  staff
    .command('bootstrap-admin')
    .description(
      'create the first admin straight on the database (no server may be running on the embedded one); refused once an active admin exists',
    )
    .requiredOption('-u, --username <username>')
    .option('--password <password>', 'default: NUMGUARD_PASSWORD (at least 12 characters)')
    .option('--display-name <name>', 'default: the username')
    .action((o) => bootstrap(o, 'admin'))
  staff
    .command('bootstrap-compliance')
    .description(
      'create the first compliance officer straight on the database (role grants need one to approve them); refused once an active one exists',
    )
    .requiredOption('-u, --username <username>')
    .option('--password <password>', 'default: NUMGUARD_PASSWORD (at least 12 characters)')
    .option('--display-name <name>', 'default: the username')
    .action((o) => bootstrap(o, 'compliance_officer'))
  staff
    .command('add <username>')
    .description(
      'create a staff account (as a signed-in admin); its roles are a role_grant request a compliance officer approves',
    )
    .requiredOption('-r, --role <role>', `${ROLES.join(', ')}; repeat for several`, collect)
    .option('--shop <shop>', 'the shop of an agent or supervisor')
    .option('--display-name <name>', 'default: the username')
    .option('--password <password>', 'the new account’s password; default: NUMGUARD_NEW_PASSWORD')
    .action((username, o) => addStaff({ ...globals(), username, ...o }))

  program
    .command('shop')
    .description('shops')
    .command('add <id> <name>')
    .description('create a shop, e.g. kampot "Kampot" (as a signed-in admin)')
    .action((id, name) => addShop({ ...globals(), id, name }))

  program
    .command('client')
    .description('machine clients (charging system, provisioning, partners)')
    .command('add <id>')
    .description('register a machine client and print its secret, once (as a signed-in admin)')
    .requiredOption('--name <name>', 'what the client is, e.g. "Charging system"')
    .requiredOption('-s, --scope <scope...>', MACHINE_SCOPE_NAMES.join(', '))
    .action((id, o) => addClient({ ...globals(), id, name: o.name, scopes: o.scope }))
}

async function bootstrap(
  o: { username: string; password?: string; displayName?: string },
  role: 'admin' | 'compliance_officer',
) {
  const password = o.password ?? process.env.NUMGUARD_PASSWORD
  if (!password) throw new ValidationError('password', 'give --password or set NUMGUARD_PASSWORD')
  // Straight on the database: the embedded one's lock refuses this while a server runs on it.
  const opened = await openApp({ ...loadConfig(), logLevel: 'warn' })
  try {
    const actor = { kind: 'system', component: 'cli-bootstrap', osUser: userInfo().username, host: hostname() } as const
    const created = await runCommand(opened.app.deps, actor, (ctx) =>
      bootstrapStaff(ctx, role, { username: o.username, display_name: o.displayName ?? o.username, password }),
    )
    const what = role === 'admin' ? 'admin' : 'compliance officer'
    console.log(`${what} ${created.username} created; sign in with: numguard login -u ${created.username}`)
    console.log('The first sign-in enrols an authenticator app (TOTP): have it at hand.')
  } finally {
    await opened.close()
  }
}

async function addStaff(
  o: GlobalOptions & { username: string; role: string[]; shop?: string; displayName?: string; password?: string },
) {
  const password = o.password ?? process.env.NUMGUARD_NEW_PASSWORD
  if (!password)
    throw new ValidationError('password', 'give --password or set NUMGUARD_NEW_PASSWORD for the new account')
  await withApi(o, async (api) => {
    const staff = await api.request<{
      username: string
      shop_id: string | null
      role_grant_request: { id: string; assigned_to: string | null } | null
    }>('POST', '/api/v1/staff', {
      username: o.username,
      display_name: o.displayName ?? o.username,
      roles: o.role,
      shop_id: o.shop ?? null,
      password,
    })
    const at = staff.shop_id ? ` @ ${staff.shop_id}` : ''
    console.log(`staff ${staff.username} created${at}, without roles until a compliance officer approves them`)
    if (staff.role_grant_request)
      console.log(
        `role grant ${o.role.join(', ')}: request ${staff.role_grant_request.id}, assigned to a compliance officer; ` +
          `once approved, execute it in the console (Administration) or POST /api/v1/requests/{id}/execute`,
      )
  })
}

async function addShop(o: GlobalOptions & { id: string; name: string }) {
  await withApi(o, async (api) => {
    const shop = await api.request<{ id: string; name: string }>('POST', '/api/v1/shops', { id: o.id, name: o.name })
    console.log(`shop ${shop.id} (${shop.name}) created`)
  })
}

async function addClient(o: GlobalOptions & { id: string; name: string; scopes: string[] }) {
  await withApi(o, async (api) => {
    const client = await api.request<{ id: string; scopes: string[]; client_secret: string }>(
      'POST',
      '/api/v1/machine-clients',
      { id: o.id, name: o.name, scopes: o.scopes },
    )
    console.log(`machine client ${client.id} created with scopes ${client.scopes.join(' ')}`)
    console.log(`client_secret: ${client.client_secret}`)
    console.log(
      'Store this secret now, in the client’s secret store: numguard keeps only its hash and will not show it again.',
    )
  })
}
