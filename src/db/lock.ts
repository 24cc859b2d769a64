import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

export interface LockInfo {
  pid: number
  host: string
  started_at: string
  url?: string
}

export class DataDirInUseError extends Error {
  readonly holder: LockInfo
  constructor(dir: string, holder: LockInfo) {
    super(
      `The data directory ${dir} is in use by numguard (pid ${holder.pid} on ${holder.host}, since ${holder.started_at}` +
        `${holder.url ? `, serving ${holder.url}` : ''}). Two processes on one embedded database would corrupt it: ` +
        'stop that process first, or set NUMGUARD_DATA to another directory.',
    )
    this.holder = holder
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function lockPath(dir: string): string {
  return join(dir, 'numguard.lock')
}

/** Who holds the data directory now, if anyone (a lock left by a dead process does not count). */
export function readLock(dir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as LockInfo
    return info.host === hostname() && !alive(info.pid) ? null : info
  } catch {
    return null
  }
}

/** Takes the data directory for this process (O_EXCL), replacing a lock whose process is gone. */
export function acquireLock(dir: string): { release(): void; setUrl(url: string): void } {
  mkdirSync(dir, { recursive: true })
  const path = lockPath(dir)
  const info: LockInfo = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, JSON.stringify(info))
      closeSync(fd)
      const write = () => {
        const f = openSync(path, 'w')
        writeSync(f, JSON.stringify(info))
        closeSync(f)
      }
      return {
        release: () => rmSync(path, { force: true }),
        setUrl: (url) => {
          info.url = url
          write()
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = readLock(dir)
      if (holder) throw new DataDirInUseError(dir, holder)
      rmSync(path, { force: true }) // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${path}`)
}
