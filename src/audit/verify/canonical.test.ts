// The verifier's own RFC 8785 check agrees with the `canonicalize` package the log writer uses (src/audit/leaf.ts),
// on the RFC's own example and on random values, and refuses every non-canonical spelling of a leaf.
import canonicalize from 'canonicalize'
import { describe, expect, it } from 'vitest'
import { canonicalJson, isCanonical } from './canonical.ts'

const check = (text: string) => isCanonical(text, JSON.parse(text))

/** A random JSON value with the awkward parts: integer-like keys, non-ASCII, escapes, exponents, nesting. */
function randomValue(depth: number, next: () => number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 5 : 7))
  const keys = ['a', 'b', 'B', '1', '10', '9', 'é', '\u20ac', '\ud83d\ude00', 'a\nb', '_', '', 'event_id', 'v']
  switch (pick) {
    case 0:
      return null
    case 1:
      return next() < 0.5
    case 2:
      return [0, -0, 1, -1.5, 1e21, 1e-7, 123456789012, 0.1 + 0.2, 5e-324, 2 ** 53][Math.floor(next() * 10)]
    case 3:
      return ['', 'x', 'é', '\u0000\u001f', '"\\/', '\u2028', '\ud83d\ude00', 'line\nbreak'][Math.floor(next() * 8)]
    case 4:
      return keys[Math.floor(next() * keys.length)]
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(depth + 1, next))
    default: {
      const o: Record<string, unknown> = {}
      for (let i = Math.floor(next() * 5); i > 0; i--)
        o[keys[Math.floor(next() * keys.length)]] = randomValue(depth + 1, next)
      return o
    }
  }
}

function seeded(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31
    return s / 2 ** 31
  }
}

describe('canonicalJson', () => {
  it('gives the RFC 8785 §3.2.3 example', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    )
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
  })

  it('agrees with the canonicalize package on 2,000 random values', () => {
    const next = seeded(42)
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(0, next)
      const expected = canonicalize(value) as string
      expect(canonicalJson(value)).toBe(expected)
      expect(check(expected)).toBe(true)
    }
  })
})

describe('isCanonical', () => {
  it('accepts canonical text, integer-like keys in code-unit order included', () => {
    expect(check('{"1":0,"10":1,"9":2,"a":{"b":[1,"é"]}}')).toBe(true)
  })

  it.each([
    ['a space', '{"a": 1}'],
    ['keys out of order', '{"b":1,"a":2}'],
    ['integer-like keys in numeric order', '{"1":0,"9":2,"10":1}'],
    ['a duplicate key', '{"a":1,"a":1}'],
    ['a number spelled otherwise', '{"a":1.0}'],
    ['an exponent spelled otherwise', '{"a":1E+30}'],
    ['an escaped non-ASCII character', '{"a":"\\u00e9"}'],
    ['an escaped slash', '{"a":"\\/"}'],
    ['an upper-case escape', '{"a":"\\u001F"}'],
    ['a trailing newline', '{"a":1}\n'],
  ])('refuses %s', (_, text) => {
    expect(check(text)).toBe(false)
  })
})
