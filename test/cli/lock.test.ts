// The data-directory lock: two processes on one embedded database would corrupt it, so the second is refused.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireLock, DataDirInUseError, lockPath, readLock } from '../../src/db/lock.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'numguard-lock-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** The pid of a process that has exited: spawned, waited for, gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  expect(child.status).toBe(0)
  return child.pid as number
}

describe('acquireLock', () => {
  it('takes the directory for this process and says so in the lock file', () => {
    const lock = acquireLock(dir)
    const info = JSON.parse(readFileSync(lockPath(dir), 'utf8'))
    expect(info).toMatchObject({ pid: process.pid, host: hostname(), started_at: expect.any(String) })
    lock.setUrl('http://127.0.0.1:4321')
    expect(readLock(dir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:4321' })
    lock.release()
    expect(existsSync(lockPath(dir))).toBe(false)
    expect(readLock(dir)).toBeNull()
  })

  it('refuses a second taker with DataDirInUseError saying who holds it and why', () => {
    const lock = acquireLock(dir)
    try {
      let refused: unknown
      try {
        acquireLock(dir)
      } catch (err) {
        refused = err
      }
      expect(refused).toBeInstanceOf(DataDirInUseError)
      const err = refused as DataDirInUseError
      expect(err.message).toContain(`pid ${process.pid}`)
      expect(err.message).toContain('in use')
      expect(err.message).toContain(dir)
      expect(err.holder.pid).toBe(process.pid)
      // The refusal leaves the holder's lock in place.
      expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(process.pid)
    } finally {
      lock.release()
    }
  })

  it('takes over a lock left by a process that is gone', () => {
    const pid = deadPid()
    writeFileSync(lockPath(dir), JSON.stringify({ pid, host: hostname(), started_at: '2026-01-01T00:00:00.000Z' }))
    expect(readLock(dir)).toBeNull()
    const lock = acquireLock(dir)
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(process.pid)
    lock.release()
  })

  it('does not take over a lock held from another host (its pid means nothing here)', () => {
    const pid = deadPid()
    writeFileSync(
      lockPath(dir),
      JSON.stringify({ pid, host: `not-${hostname()}`, started_at: '2026-01-01T00:00:00.000Z' }),
    )
    expect(() => acquireLock(dir)).toThrow(DataDirInUseError)
  })

  it('takes over an unreadable lock file', () => {
    writeFileSync(lockPath(dir), '{ half-written')
    const lock = acquireLock(dir)
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(process.pid)
    lock.release()
  })

  it('creates the data directory when it does not exist yet', () => {
    const nested = join(dir, 'a', 'b')
    const lock = acquireLock(nested)
    expect(existsSync(lockPath(nested))).toBe(true)
    lock.release()
  })
})
