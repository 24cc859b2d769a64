// Helpers for tests that run the SMPP client against the embedded simulator (no sleeps: they await events).
import pino from 'pino'
import type { SimulatorEvent, SmscSimulator } from '../simulator/index.ts'
import type { SmsTransport } from '../transport.ts'

/** A debug-level logger that keeps every line, so tests can check what was (not) logged. */
export function capturingLogger() {
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) })
  return { logger, lines }
}

export function waitForEvent<T extends SimulatorEvent['type']>(
  sim: SmscSimulator,
  type: T,
  predicate: (e: Extract<SimulatorEvent, { type: T }>) => boolean = () => true,
  count = 1,
): Promise<Extract<SimulatorEvent, { type: T }>[]> {
  return new Promise((resolve) => {
    const seen: Extract<SimulatorEvent, { type: T }>[] = []
    const off = sim.onEvent((e) => {
      if (e.type !== type) return
      const event = e as Extract<SimulatorEvent, { type: T }>
      if (!predicate(event)) return
      seen.push(event)
      if (seen.length >= count) {
        off()
        resolve(seen)
      }
    })
  })
}

export function waitForStatus(
  transport: SmsTransport,
  predicate: (s: { bound: boolean; reason?: string }) => boolean,
): Promise<{ bound: boolean; reason?: string }> {
  return new Promise((resolve) => {
    let done = false
    transport.onStatus((s) => {
      if (done || !predicate(s)) return
      done = true
      resolve(s)
    })
  })
}

export async function untilBound(transport: SmsTransport): Promise<void> {
  if (transport.bound) return
  await waitForStatus(transport, (s) => s.bound)
}

/** Resolves once `n` values have been pushed through the returned `push`. */
export function collector<T>(n: number) {
  const items: T[] = []
  let wake: (() => void) | null = null
  let target = n
  return {
    items,
    push(item: T) {
      items.push(item)
      if (items.length >= target && wake) wake()
    },
    until(count: number = n): Promise<T[]> {
      target = count
      if (items.length >= count) return Promise.resolve(items)
      return new Promise((resolve) => {
        wake = () => resolve(items)
      })
    },
  }
}
