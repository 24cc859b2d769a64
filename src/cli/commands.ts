import { readFileSync } from 'node:fs'
import { Presets, SingleBar } from 'cli-progress'
import { type Api, ApiError, saveToken, withApi } from './api-client.ts'

export interface GlobalOptions {
  url?: string
  token?: string
}

export async function login(opts: GlobalOptions & { username: string; password?: string }) {
  const password = opts.password ?? process.env.NUMGUARD_PASSWORD
  if (!password) throw new Error('give --password or set NUMGUARD_PASSWORD')
  await withApi({ ...opts, token: undefined }, async (api) => {
    const out = await api.request<{ token: string; staff: { username: string; roles: string[] } }>(
      'POST',
      '/api/v1/auth/sign-in',
      {
        username: opts.username,
        password,
      },
    )
    const where = saveToken(api.url, out.token)
    console.log(`signed in as ${out.staff.username} (${out.staff.roles.join(', ')}); token saved in ${where}`)
  })
}

/** Imports a range, showing the server's progress lines as a bar. */
export async function importRange(opts: GlobalOptions & { first: string; last: string; category: string }) {
  await withApi(opts, async (api) => {
    const res = await api.raw(
      'POST',
      '/api/v1/ranges',
      { first: opts.first, last: opts.last, category: opts.category },
      { accept: 'application/x-ndjson' },
    )
    if (!res.ok || !res.body) throw new ApiError(res.status, await res.json().catch(() => ({})))
    const bar = new SingleBar(
      { format: 'importing {bar} {percentage}% | {value}/{total} numbers', hideCursor: true },
      Presets.shades_classic,
    )
    let result: unknown
    let buffer = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += Buffer.from(chunk).toString()
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const msg = JSON.parse(buffer.slice(0, nl))
        buffer = buffer.slice(nl + 1)
        if (msg.progress) {
          if (!bar.isActive) bar.start(msg.progress.total, 0)
          bar.update(msg.progress.done)
        } else if (msg.error) {
          bar.stop()
          throw new ApiError(409, msg.error)
        } else result = msg.result
      }
    }
    bar.stop()
    console.log(JSON.stringify(result, null, 2))
  })
}

const SIM_CHUNK = 10_000

/** Imports a SIM file in chunks of 10,000 lines (each chunk is one audited import), with a progress bar. */
export async function importSims(opts: GlobalOptions & { file: string }) {
  const lines = readFileSync(opts.file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
  const rows = /^iccid\s*,/i.test(lines[0] ?? '') ? lines.slice(1) : lines
  await withApi(opts, async (api) => {
    const bar = new SingleBar(
      { format: 'importing {bar} {percentage}% | {value}/{total} SIMs', hideCursor: true },
      Presets.shades_classic,
    )
    bar.start(rows.length, 0)
    let imported = 0
    try {
      for (let i = 0; i < rows.length; i += SIM_CHUNK) {
        const out = await api.request<{ imported: number }>('POST', '/api/v1/sims/import', {
          csv: rows.slice(i, i + SIM_CHUNK).join('\n'),
        })
        imported += out.imported
        bar.update(imported)
      }
    } finally {
      bar.stop()
    }
    console.log(`imported ${imported} SIMs from ${opts.file}`)
  })
}

export async function allocateSims(opts: GlobalOptions & { shop: string; count: number }) {
  await withApi(opts, async (api) =>
    print(await api.request('POST', '/api/v1/sims/allocate', { shop_id: opts.shop, count: opts.count })),
  )
}

export async function lookup(opts: GlobalOptions & { query: string; json?: boolean }) {
  await withApi(opts, async (api) => {
    const found = await api.request<{ kind: string; id: string }>(
      'GET',
      `/api/v1/lookup?q=${encodeURIComponent(opts.query)}`,
    )
    const path = { number: '/api/v1/numbers/', sim: '/api/v1/sims/', subscriber: '/api/v1/subscribers/' }[found.kind]
    const detail = await api.request<Record<string, unknown>>('GET', `${path}${encodeURIComponent(found.id)}`)
    if (opts.json || found.kind !== 'number') return print(detail)
    printNumber(detail as unknown as NumberDetail)
  })
}

interface NumberDetail {
  msisdn: string
  state: string
  category: string
  custodies: {
    subscriber: { name_masked: string; id: string }
    basis: string
    started_at: string
    ended_at: string | null
    end_reason: string | null
  }[]
  sim_bindings: { iccid: string; started_at: string; ended_at: string | null }[]
  history: { seq: number; at: string; action: string; actor: { kind: string; username?: string; component?: string } }[]
}

function printNumber(n: NumberDetail) {
  const day = (t: string | null) => (t ? t.slice(0, 10) : 'now       ')
  console.log(`${n.msisdn}  ${n.state.toUpperCase()}  (${n.category})`)
  console.log('\ncustody')
  for (const c of n.custodies)
    console.log(
      `  ${day(c.started_at)} → ${day(c.ended_at)}  ${c.subscriber.name_masked.padEnd(20)} ${c.basis}${c.end_reason ? `, ended: ${c.end_reason}` : ''}`,
    )
  console.log('\nSIM')
  for (const b of n.sim_bindings) console.log(`  ${day(b.started_at)} → ${day(b.ended_at)}  ${b.iccid}`)
  console.log('\nhistory')
  for (const h of n.history)
    console.log(`  #${h.seq} ${h.at}  ${h.action.padEnd(28)} ${h.actor.username ?? h.actor.component ?? h.actor.kind}`)
}

export async function clockAdvance(opts: GlobalOptions & { by: string }) {
  await withApi(opts, async (api) => print(await api.request('POST', '/api/v1/demo/clock/advance', { by: opts.by })))
}

export async function clockShow(opts: GlobalOptions) {
  await withApi(opts, async (api: Api) => print(await api.request('GET', '/api/v1/meta')))
}

function print(value: unknown) {
  console.log(JSON.stringify(value, null, 2))
}
