import { describe, expect, it } from 'vitest'
import { fromSmppAddress, toSmppAddress } from './addresses.ts'
import { backoffDelay } from './client.ts'
import { parseSmppUrl, redactSmppUrl, SmppConfigError } from './url.ts'

describe('parseSmppUrl', () => {
  it('reads smpp:// and smpps:// with credentials, port and system_type', () => {
    expect(parseSmppUrl('smpp://numguard:s%40cret@smsc.example.com:2776')).toEqual({
      host: 'smsc.example.com',
      port: 2776,
      tls: false,
      systemId: 'numguard',
      password: 's@cret',
      systemType: '',
    })
    expect(parseSmppUrl('smpps://ng:pw@10.0.0.5?system_type=OTP')).toMatchObject({
      host: '10.0.0.5',
      port: 3550,
      tls: true,
      systemType: 'OTP',
    })
    expect(parseSmppUrl('smpp://ng:pw@[::1]').host).toBe('::1')
  })

  it('refuses what an SMSC would refuse, naming SMPP_URL', () => {
    for (const bad of [
      'http://a:b@host',
      'not a url',
      'smpp://host:2775',
      'smpp://a:123456789@h',
      'smpp://abcdefghijklmnop:x@h',
    ]) {
      expect(() => parseSmppUrl(bad)).toThrow(SmppConfigError)
    }
    try {
      parseSmppUrl('smpp://host')
    } catch (err) {
      expect((err as SmppConfigError).field).toBe('SMPP_URL')
    }
  })

  it('hides the password for logs', () => {
    expect(redactSmppUrl('smpp://ng:secret@h:1')).toBe('smpp://ng:***@h:1')
  })
})

describe('addresses', () => {
  it('sends E.164 as TON 1 without the plus and an alphanumeric sender as TON 5', () => {
    expect(toSmppAddress('+85512345678')).toEqual({ addr: '85512345678', ton: 1, npi: 1 })
    expect(toSmppAddress('numguard')).toEqual({ addr: 'numguard', ton: 5, npi: 0 })
    expect(toSmppAddress('1234')).toEqual({ addr: '1234', ton: 0, npi: 1 })
    expect(fromSmppAddress('85512345678', 1)).toBe('+85512345678')
    expect(fromSmppAddress('1234', 0)).toBe('1234')
  })
})

describe('backoffDelay', () => {
  it('grows exponentially, is capped and jittered ±50 %', () => {
    const opts = { initialMs: 100, maxMs: 1_000, factor: 2 }
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0.5))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(backoffDelay(2, opts, () => 0)).toBe(200)
    expect(backoffDelay(2, opts, () => 0.999)).toBe(600)
  })
})
