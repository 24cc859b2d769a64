import { describe, expect, it } from 'vitest'
import { codeMatches, newCode, sealCode } from './codes.ts'
import { failureCountSince, idAuthenticationRefusedUntil } from './rules.ts'

const KEY = 'a-test-key-of-at-least-thirty-two-characters'
const binding = {
  challengeId: '7f1c2a8e-0000-4000-8000-000000000001',
  staffId: '7f1c2a8e-0000-4000-8000-000000000002',
  staffSessionId: '7f1c2a8e-0000-4000-8000-000000000003',
  subscriberId: '7f1c2a8e-0000-4000-8000-000000000004',
  msisdn: '+85512000001',
}

describe('customer session codes', () => {
  it('are 6 digits, leading zeros kept', () => {
    const codes = Array.from({ length: 2000 }, newCode)
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true)
    expect(new Set(codes).size).toBeGreaterThan(1990)
  })

  it('match only the code, the key and the binding they were sealed with', () => {
    const { salt, hash } = sealCode(KEY, binding, '012345')
    expect(hash).toHaveLength(32)
    expect(codeMatches(KEY, salt, hash, binding, '012345')).toBe(true)
    expect(codeMatches(KEY, salt, hash, binding, '12345')).toBe(false)
    expect(codeMatches(KEY, salt, hash, binding, '012346')).toBe(false)
    expect(codeMatches(`${KEY}x`, salt, hash, binding, '012345')).toBe(false)
    for (const field of Object.keys(binding) as (keyof typeof binding)[]) {
      expect(codeMatches(KEY, salt, hash, { ...binding, [field]: `${binding[field]}0` }, '012345'), field).toBe(false)
    }
    // A fresh salt per code: the same code for the same binding never hashes alike twice.
    expect(sealCode(KEY, binding, '012345').hash.equals(hash)).toBe(false)
  })
})

describe('customer authentication rules', () => {
  const now = new Date('2026-03-02T03:00:00Z')
  it('refuse ID-only authentication for 30 days after a KYC change', () => {
    expect(idAuthenticationRefusedUntil(null, now)).toBeNull()
    expect(idAuthenticationRefusedUntil('2026-01-31T03:00:00Z', now)).toBeNull()
    expect(idAuthenticationRefusedUntil('2026-01-31T03:00:01Z', now)?.toISOString()).toBe('2026-03-02T03:00:01.000Z')
  })

  it('count failures over 24 hours, from the last lock when it is later', () => {
    expect(failureCountSince(now, null).toISOString()).toBe('2026-03-01T03:00:00.000Z')
    expect(failureCountSince(now, '2026-02-27T00:00:00Z').toISOString()).toBe('2026-03-01T03:00:00.000Z')
    expect(failureCountSince(now, '2026-03-02T01:00:00Z').toISOString()).toBe('2026-03-02T01:00:00.000Z')
  })
})
