// TOTP against RFC 6238's own test vectors (Appendix B, SHA-1 seed), and the drift and replay rules on top.
import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, checkTotp, hotp, otpauthUri, totp, totpStep } from './totp.ts'

const SEED = Buffer.from('12345678901234567890', 'ascii')

describe('RFC 6238 Appendix B (SHA-1)', () => {
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('at %i s the 8-digit code is %s', (seconds, code) => {
    expect(totp(SEED, new Date(seconds * 1000), 8)).toBe(code)
  })

  it('RFC 4226 Appendix D: HOTP counters 0..9', () => {
    const codes = Array.from({ length: 10 }, (_, i) => hotp(SEED, i))
    expect(codes).toEqual([
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ])
  })
})

describe('base32 (RFC 4648)', () => {
  it('round-trips and matches the RFC examples', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI')
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar')
    expect(base32Decode('mzxw 6ytb-oi==').toString()).toBe('foobar')
    expect(base32Decode(base32Encode(SEED))).toEqual(SEED)
    expect(() => base32Decode('MZXW1')).toThrow(/base32/)
  })
})

describe('checkTotp', () => {
  const at = new Date(1_111_111_111_000)
  const step = totpStep(at)

  it('accepts the current step and one either side, and says which step matched', () => {
    for (const delta of [-1, 0, 1]) {
      const code = hotp(SEED, step + delta)
      expect(checkTotp(SEED, code, at, null)).toEqual({ ok: true, step: step + delta })
    }
    expect(checkTotp(SEED, hotp(SEED, step + 2), at, null)).toEqual({ ok: false, reason: 'wrong_code' })
    expect(checkTotp(SEED, hotp(SEED, step - 2), at, null)).toEqual({ ok: false, reason: 'wrong_code' })
  })

  it('refuses a code of a step already used, even inside the window', () => {
    const code = hotp(SEED, step)
    expect(checkTotp(SEED, code, at, step)).toEqual({ ok: false, reason: 'replayed_code' })
    expect(checkTotp(SEED, hotp(SEED, step + 1), at, step)).toEqual({ ok: true, step: step + 1 })
  })

  it('refuses malformed codes and accepts a space in the middle', () => {
    const code = hotp(SEED, step)
    expect(checkTotp(SEED, `${code.slice(0, 3)} ${code.slice(3)}`, at, null).ok).toBe(true)
    for (const bad of ['', '12345', '1234567', 'abcdef']) expect(checkTotp(SEED, bad, at, null).ok).toBe(false)
  })

  it('builds an otpauth:// URI an authenticator reads', () => {
    const uri = new URL(otpauthUri('JBSWY3DPEHPK3PXP', 'supervisor.pp'))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/numguard:supervisor.pp')
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: 'JBSWY3DPEHPK3PXP',
      issuer: 'numguard',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
  })
})
