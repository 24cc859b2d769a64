// Runs one benchmark by name: `npm run bench -- <name> [args…]`. Each bench/<name>.ts exports
// `description` and `run(context): Promise<BenchResult>`; this file prints the closing summary line.
import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type BenchModule, summaryLine } from './lib/result.ts'

const BENCH_DIR = fileURLToPath(new URL('./', import.meta.url))

async function availableBenchmarks(): Promise<string[]> {
  const files = await readdir(BENCH_DIR)
  return files
    .filter((f) => /^[a-z][a-z0-9-]*\.ts$/.test(f) && f !== 'run.ts' && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
}

async function listBenchmarks(names: string[]): Promise<void> {
  console.error('usage: npm run bench -- <name> [args…]\n\navailable benchmarks:')
  for (const name of names) {
    const mod = (await import(`./${name}.ts`)) as Partial<BenchModule>
    console.error(`  ${name.padEnd(10)} ${mod.description ?? ''}`)
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  const names = await availableBenchmarks()
  if (!name || !names.includes(name)) {
    if (name) console.error(`unknown benchmark: ${name}\n`)
    await listBenchmarks(names)
    return 1
  }
  const mod = (await import(`./${name}.ts`)) as BenchModule
  const result = await mod.run({ args, log: (line = '') => console.log(line) })
  const missed = (result.targets ?? []).filter((t) => !t.met)
  for (const t of result.targets ?? []) console.log(`target ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.detail}`)
  console.log(summaryLine(name, result))
  return missed.length > 0 ? 1 : 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err)
    process.exitCode = 1
  },
)
