// Asking for a password on the terminal without echoing it: readline reads the line, its output is muted.
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { CliError } from './errors.ts'

export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean }
  /** Where the prompt is written (stderr by default, so stdout stays the command's output). */
  output: NodeJS.WritableStream
}

/** True when a person can answer a prompt: stdin is a terminal. */
export function canPrompt(input: { isTTY?: boolean } = process.stdin): boolean {
  return input.isTTY === true
}

/**
 * Reads one line from the terminal without echoing what is typed. Ctrl-C cancels, Ctrl-D (end of input) or an
 * empty line gives no password: both are refused.
 */
export function askHidden(
  prompt: string,
  streams: PromptStreams = { input: process.stdin, output: process.stderr },
): Promise<string> {
  let muted = false
  const echo = new Writable({
    write(chunk, encoding, done) {
      if (!muted) streams.output.write(chunk, encoding)
      done()
    },
  })
  const rl = createInterface({ input: streams.input, output: echo, terminal: true, historySize: 0 })
  return new Promise<string>((resolve, reject) => {
    let settled = false
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      muted = false
      rl.close()
      // The Enter (or Ctrl-C) that ended the line was not echoed either.
      streams.output.write('\n')
      fn()
    }
    rl.on('line', (line) => finish(() => (line === '' ? reject(new CliError('no password given')) : resolve(line))))
    rl.on('SIGINT', () => finish(() => reject(new CliError('cancelled'))))
    rl.on('close', () => finish(() => reject(new CliError('no password given'))))
    streams.output.write(prompt)
    muted = true
  })
}
