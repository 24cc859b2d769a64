// What every benchmark returns to bench/run.ts, which prints the closing `bench <name>: …` line from it.
import { availableParallelism, loadavg } from 'node:os'

export interface Figure {
  value: number
  unit: string
  /** Decimal places to print (default 2). */
  digits?: number
}

/** A goal the benchmark checks; a missed target makes the run exit 1 (the closing line is still printed). */
export interface Target {
  name: string
  met: boolean
  detail: string
}

export interface BenchResult {
  figure: Figure
  /** The same work done the plain way, measured in the same run on the same database. */
  baseline: Figure
  /** Oriented so that higher is better for numguard (for times: baseline / figure). */
  ratio: number
  targets?: Target[]
}

export interface BenchContext {
  /** Arguments after the benchmark's name. */
  args: string[]
  log(line?: string): void
}

/** What a bench/<name>.ts module exports. */
export interface BenchModule {
  description: string
  run(context: BenchContext): Promise<BenchResult>
}

export function formatFigure(f: Figure): string {
  return `${f.value.toFixed(f.digits ?? 2)} ${f.unit}`
}

export function summaryLine(name: string, r: BenchResult): string {
  return `bench ${name}: ${formatFigure(r.figure)}; baseline ${formatFigure(r.baseline)}; ratio ${r.ratio.toFixed(2)}`
}

/** Seconds since `start` (a performance.now() reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000
}

export function perSecond(count: number, seconds: number): string {
  return `${Math.round(count / seconds).toLocaleString('en')}/s`
}

/** How busy the machine is before a run: other processes (test runs, builds) inflate wall times. */
export function machineLoad(): string {
  const cpus = availableParallelism()
  const [one] = loadavg()
  const busy = one > cpus - 0.5 ? ` — busy: figures are inflated, run again on a quiet machine` : ''
  return `machine: ${cpus} CPUs, load average ${one.toFixed(2)}${busy}`
}

/** Seconds of this process's CPU time since `start` (a process.cpuUsage() reading). */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}
