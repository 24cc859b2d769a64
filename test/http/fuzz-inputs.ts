// The malformed values the fuzz test draws from, and the seeded generator that draws them.

/** mulberry32: small, fast and the same on every machine. */
export function generator(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]
  return { next, int, pick }
}
export type Gen = ReturnType<typeof generator>

export const STRINGS = [
  '',
  ' ',
  'a',
  'x'.repeat(100_000),
  '9'.repeat(400),
  `+${'9'.repeat(40)}`,
  '\u0000',
  'a\u0000b',
  '%00',
  '../../etc/passwd',
  "' OR '1'='1",
  "'; DROP TABLE numbers; --",
  '$1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, literal on purpose
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  'ខ្មែរ',
  '😀'.repeat(50),
  '\ud800',
  '\u202e+85512100001',
  'NaN',
  'null',
  '-1',
  '1e309',
  '٣٤٥٦٧٨٩',
  '+85512100001',
  '85512100001 ',
  '8985501000000000001',
  '00000000-0000-0000-0000-000000000000',
  '2026-01-01T23:59:60Z',
  'client_credentials',
  'standard',
  '5d',
  '401d',
  'iccid,imsi\n,',
] as const
export const NUMBERS = [-1, 0, -0, 1.5, 1e308, -1e308, 2 ** 53 + 1, 2 ** 64, 1e-300, 100_001] as const

export function value(g: Gen, depth = 0): unknown {
  switch (g.int(depth > 1 ? 3 : 6)) {
    case 0:
    case 1:
      return g.pick(STRINGS)
    case 2:
      return g.pick([...NUMBERS, null, true, false])
    case 3:
      return Array.from({ length: g.int(4) }, () => value(g, depth + 1))
    case 4:
      return { [g.pick(['a', '__proto__', 'constructor', '', '\u0000'])]: value(g, depth + 1) }
    default:
      return g.pick([[], {}, [{}], { $gt: '' }])
  }
}

export const GARBAGE_JSON = [
  '{',
  '{"a":',
  '[1,2',
  'nul',
  '{"x":1,}',
  '\u0000',
  "{'a':1}",
  '"str"',
  '123',
  'true',
  '{}{}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '\uFEFF{}',
  '{"a":"\\ud800"}',
  '{"a":1e999}',
]
export const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data',
  'application/json; charset=utf-16',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'application/jsonx',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  '*/*',
]
export const PATH_VALUES = [
  '%00',
  '..%2F..%2Fetc',
  '../',
  '..',
  '%2e%2e',
  '9'.repeat(30),
  '9'.repeat(120),
  "'%20OR%201%3D1",
  '%ZZ',
  '%F0%9F%98%80',
  '+',
  '%2B',
  '-1',
  'null',
  '00000000-0000-0000-0000-000000000000',
  'a%2Fb',
  '%E1%9E%81',
  `%2B855${'1'.repeat(12)}`,
]
export const QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=1e309',
  'limit=99999999999999999999',
  'limit=',
  'limit=1&limit=2',
  'unknown=1',
  'q=a&q=b',
  'q=',
  'q=%00',
  'state=%00',
  'after=%00',
  'prefix=%27%20OR%201%3D1',
  'before=2026-01-01T23:59:60Z',
  'before=0000-01-01T00:00:00Z',
  'severity[]=risk',
  'a[b]=c',
  '__proto__=x',
  'constructor[prototype]=1',
  '&&&',
  '=',
  '%',
  `${'x'.repeat(10_000)}=1`,
  `shop_id=${'x'.repeat(41)}`,
  `msisdn=${'9'.repeat(20)}`,
  `q=${'9'.repeat(64)}`,
  'kind=%F0%9F%98%80',
  'after=%2B85512100001&after=1',
]
