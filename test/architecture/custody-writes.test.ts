// Issue 10 item 1: custodies, SIM bindings and number states are written only by src/custody/. This scans the
// sources for Kysely writers and raw SQL writes of those tables and names each one found elsewhere, file:line.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, test } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const TABLES = '(?:custodies|sim_bindings|numbers)'
// Kysely: .insertInto('numbers'), .updateTable('custodies as c'), .deleteFrom("sim_bindings"), across line breaks.
const KYSELY = new RegExp(`\\b(?:insertInto|updateTable|deleteFrom)\\(\\s*['"\`]${TABLES}\\b`, 'g')
// Raw SQL text: INSERT INTO numbers, UPDATE custodies c SET, DELETE FROM sim_bindings (any case, any spacing).
const RAW = new RegExp(`\\b(?:INSERT\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+(?:ONLY\\s+)?(?:public\\.)?${TABLES}\\b`, 'gi')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sources(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : []
  })
}

/** Test support that lives beside the code (it imports vitest) may keep raw fixtures, like the test files. */
const isTestSupport = (text: string) => /from ['"]vitest['"]/.test(text)

function writesIn(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  if (isTestSupport(text)) return []
  const found: string[] = []
  for (const pattern of [KYSELY, RAW]) {
    for (const m of text.matchAll(pattern)) {
      const line = text.slice(0, m.index).split('\n').length
      found.push(`${relative(ROOT, file)}:${line}: ${m[0].replace(/\s+/g, ' ')}`)
    }
  }
  return found
}

const all = sources(join(ROOT, 'src')).flatMap(writesIn)
const inCustody = (w: string) => w.startsWith('src/custody/')

describe('writes to custodies, sim_bindings and numbers', () => {
  test('happen only in src/custody/', () => {
    expect(all.filter((w) => !inCustody(w))).toEqual([])
  })

  test('the scanner finds the custody commands themselves (a broken pattern cannot pass silently)', () => {
    const own = all.filter(inCustody).map((w) => w.replace(/:\d+:/, ':'))
    for (const expected of [
      "src/custody/custodies.ts: insertInto('custodies",
      "src/custody/custodies.ts: updateTable('custodies",
      "src/custody/bindings.ts: insertInto('sim_bindings",
      "src/custody/bindings.ts: updateTable('sim_bindings",
      "src/custody/numbers.ts: updateTable('numbers",
      'src/custody/numbers.ts: INSERT INTO numbers',
      'src/custody/numbers.ts: UPDATE numbers',
    ]) {
      expect(own).toContain(expected)
    }
  })

  test('the patterns catch each form of write, and not reads', () => {
    const probe = (s: string) => [...s.matchAll(KYSELY), ...s.matchAll(RAW)].length
    expect(probe(".updateTable(\n  'numbers')")).toBe(1)
    expect(probe('.deleteFrom("sim_bindings as b")')).toBe(1)
    expect(probe('sql`update  custodies SET ended_at = now()`')).toBe(1)
    expect(probe('DELETE FROM public.numbers WHERE true')).toBe(1)
    expect(probe(".selectFrom('numbers').innerJoin('custodies', 'a', 'b')")).toBe(0)
    expect(probe('UPDATE numbers_archive SET x = 1')).toBe(0)
  })
})
