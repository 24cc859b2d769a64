// Request integrity (issue 10 item 3, migration 038): raw SQL as the application role cannot store a request whose
// payload_sha256 is not the SHA-256 of its canonical (RFC 8785) payload, nor an approval of another hash, nor a
// holder's code consent that points at no stored MO from the number received after its code was sent, nor erase
// personal data before its retention. Each refusal sits beside the lawful path that still commits.
// Runs on both suites (PGlite and PostgreSQL): nothing here needs a second connection.
import { randomUUID } from 'node:crypto'
import canonicalize from 'canonicalize'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { payloadSha256 } from '../requests/index.ts'
import { EMPTY_PAYLOAD_SHA256, g, heldNumber, newRequest, run, setUpGuardDatabase } from './guards-fixtures.ts'

setUpGuardDatabase()

const refused = { code: 'NG038' }

async function sqlCanonical(jsonText: string): Promise<string> {
  const { rows } = await sql<{ c: string }>`SELECT jcs_canonical_json(${jsonText}::jsonb) AS c`.execute(g.db)
  return rows[0].c
}

// JSON texts as they may reach the database: written by JSON.stringify, or by hand in raw SQL.
const TRICKY = [
  JSON.stringify({
    '': 0,
    a: 1,
    '\u0080': 2,
    é: 3,
    '\u{1F600}': 'astral key: its surrogates sort before U+E000',
    '\uE000': 'private use',
    '\uFF01': 'fullwidth !',
    B: 'upper case before lower',
    aa: 'prefix after a',
  }),
  JSON.stringify({
    escapes: '"quote" \\back\\ /slash/ \b\f\n\r\t \u0001\u001f \u007f \u2028\u2029 € 😀 ខ្មែរ',
    nested: [[], [{}], [[1, [2, [3]]]], { z: [null, true, false], y: { x: 'deep' } }],
  }),
  JSON.stringify({
    numbers: [0, -0, 1, -1, 0.1, 0.2 + 0.3, 1 / 3, 1e21, 1e20, 123456789012345680000, 1e-6, 1e-7, 1.5e-7, -2.5e-300],
    more: [5e-324, Number.MAX_VALUE, Number.MIN_SAFE_INTEGER, 2 ** 53, 4.35, 100, 1.7e308],
  }),
  // By hand: forms JSON.stringify never writes, which jsonb keeps as written (1.0, 1E21) and JSON.parse reads back.
  '{"b": 1.0, "a": 1E21, "c": -0, "d": 0.10000000000000000555, "e": 123456789012345678901234567890, "f": 2.50e-7}',
  '{"big": 9007199254740993, "exp": 1e+2, "neg": -0.0000001, "frac": 0.000001, "dup": 1, "dup": 2}',
  '{"a": [1, "x", {"b\\u0000c": 0}]}'.replace('\\u0000', '\\u0007'),
  '[]',
  '"top-level string"',
  '3.0',
]

describe('RFC 8785 canonical JSON in SQL (jcs_canonical_json)', () => {
  it.each(TRICKY)('writes %s exactly as the canonicalize package does', async (text) => {
    expect(await sqlCanonical(text)).toBe(canonicalize(JSON.parse(text)))
  })

  it('hashes a payload as the application does (request_payload_sha256)', async () => {
    for (const text of TRICKY.slice(0, 5)) {
      const { rows } = await sql<{ h: string }>`SELECT request_payload_sha256(${text}::jsonb) AS h`.execute(g.db)
      expect(rows[0].h).toBe(payloadSha256(JSON.parse(text)))
    }
  })

  it('refuses a number beyond a double, which JSON.parse could not read back (NG038)', async () => {
    await expect(sqlCanonical('{"n": 1e400}')).rejects.toMatchObject(refused)
  })
})

const insertRequest = (id: string, payload: string, hash: string) =>
  run(sql`INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at)
          VALUES (${id}, 'retirement', NULL, 'pending', ${payload}::jsonb, ${hash}, ${g.staffId}, now(), now() + interval '7 days')`)
const approve = (requestId: string, approverId: string, hash: string, decision = 'approved') =>
  run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
          VALUES (${requestId}, ${approverId}, ${hash}, ${decision}, now())`)
const requestCount = async (id: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM requests WHERE id = ${id}`.execute(g.db)).rows[0].n

describe('a request’s payload_sha256', () => {
  it('must be the SHA-256 of its canonical payload (NG038)', async () => {
    for (const [payload, hash] of [
      ['{}', 'a'.repeat(64)],
      // The hash of the text as written, not of its canonical form.
      ['{"b": 1, "a": 2}', payloadSha256({}).replace(/./, 'f')],
      ['{"reason": "retire it"}', payloadSha256({ reason: 'retire it ' })],
    ]) {
      const id = randomUUID()
      await expect(insertRequest(id, payload, hash), payload).rejects.toMatchObject(refused)
      expect(await requestCount(id)).toBe(0)
    }
  })

  it('commits when it is (positive control: a tricky payload, hashed by the application)', async () => {
    const payload = JSON.parse(TRICKY[2]) as Record<string, unknown>
    const id = randomUUID()
    await insertRequest(id, JSON.stringify(payload), payloadSha256(payload))
    expect(await requestCount(id)).toBe(1)
    const emptyId = randomUUID()
    await insertRequest(emptyId, '{}', EMPTY_PAYLOAD_SHA256)
    expect(await requestCount(emptyId)).toBe(1)
  })

  it('cannot be changed with its payload, even to a matching pair (NG007, 005)', async () => {
    const id = await newRequest(null, 'retirement', 'pending')
    const other = { reason: 'another' }
    await expect(
      run(sql`UPDATE requests SET payload = ${JSON.stringify(other)}::jsonb, payload_sha256 = ${payloadSha256(other)}
              WHERE id = ${id}`),
    ).rejects.toMatchObject({ code: 'NG007' })
  })
})

describe('an approval', () => {
  it('of another hash is refused, approved or rejected (NG038)', async () => {
    const id = await newRequest(null, 'retirement', 'pending')
    await expect(approve(id, g.complianceId, 'f'.repeat(64))).rejects.toMatchObject(refused)
    await expect(approve(id, g.complianceId, 'f'.repeat(64), 'rejected')).rejects.toMatchObject(refused)
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM request_approvals
                                               WHERE request_id = ${id}`.execute(g.db)
    expect(rows[0].n).toBe(0)
  })

  it('of the request’s own hash commits, and the request is then approved (positive control)', async () => {
    const id = await newRequest(null, 'retirement', 'pending')
    await approve(id, g.complianceId, EMPTY_PAYLOAD_SHA256)
    await run(sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`)
    const { rows } = await sql<{ status: string }>`SELECT status FROM requests WHERE id = ${id}`.execute(g.db)
    expect(rows[0].status).toBe('approved')
  })

  it('cannot be moved to another hash afterwards (NG007, 005)', async () => {
    const id = await newRequest(null, 'retirement', 'pending')
    await approve(id, g.complianceId, EMPTY_PAYLOAD_SHA256)
    await expect(
      run(
        sql`UPDATE request_approvals SET payload_sha256 = ${'f'.repeat(64)}, voided_at = now() WHERE request_id = ${id}`,
      ),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(NG007|NG038|42501)$/) })
  })
})

// ── The holder's code consent ──

interface ConsentFixture {
  msisdn: string
  requestId: string
  codeId: string
}

/** A pending SIM swap of a held number with its holder's consent code sent `codeAge` ago and matched (used). */
async function swapWithUsedCode(codeAge = '10 minutes'): Promise<ConsentFixture> {
  const { msisdn } = await heldNumber()
  const requestId = await newRequest(msisdn, 'sim_swap', 'pending')
  const codeId = randomUUID()
  await run(sql`INSERT INTO consent_codes (id, request_id, msisdn, party, purpose, code_salt, code_hash, state, created_at, expires_at)
                VALUES (${codeId}, ${requestId}, ${msisdn}, 'holder', 'sim_swap', ${Buffer.alloc(16, 1)},
                        ${Buffer.alloc(32, 2)}, 'pending', now() - ${codeAge}::interval,
                        now() - ${codeAge}::interval + interval '15 minutes')`)
  await run(sql`UPDATE consent_codes SET state = 'used', code_salt = NULL, code_hash = NULL, closed_at = now()
                WHERE id = ${codeId}`)
  return { msisdn, requestId, codeId }
}

async function storeMo(from: string, receivedAgo = '1 minute'): Promise<string> {
  const id = randomUUID()
  await run(sql`INSERT INTO sms_mo_messages (id, from_msisdn, to_address, text_masked, received_at, keyword)
                VALUES (${id}, ${from}, '1234', 'YES ******', now() - ${receivedAgo}::interval, 'YES')`)
  return id
}

const recordMoConsent = (f: ConsentFixture, evidence: Record<string, unknown>) =>
  run(sql`INSERT INTO request_consents (id, request_id, party, method, recorded_at, evidence)
          VALUES (${randomUUID()}, ${f.requestId}, 'holder', 'mo_code', now(), ${JSON.stringify(evidence)}::jsonb)`)

const consents = async (requestId: string) =>
  (
    await sql<{ n: number }>`SELECT count(*)::int AS n FROM request_consents WHERE request_id = ${requestId}`.execute(
      g.db,
    )
  ).rows[0].n

describe('a holder consent by MO code', () => {
  it.each([
    ['an MO that does not exist', async (f: ConsentFixture) => ({ mo_id: randomUUID(), code_id: f.codeId })],
    ['no MO at all', async (f: ConsentFixture) => ({ mo_id: 'not-a-uuid', code_id: f.codeId })],
    [
      'an MO from another number',
      async (f: ConsentFixture) => ({ mo_id: await storeMo('+85599111222'), code_id: f.codeId }),
    ],
    [
      'an MO received before its code was sent',
      async (f: ConsentFixture) => ({ mo_id: await storeMo(f.msisdn, '1 hour'), code_id: f.codeId }),
    ],
    [
      'a code of another request',
      async (f: ConsentFixture) => ({ mo_id: await storeMo(f.msisdn), code_id: (await swapWithUsedCode()).codeId }),
    ],
    ['no code', async (f: ConsentFixture) => ({ mo_id: await storeMo(f.msisdn), code_id: randomUUID() })],
  ])('is refused when its evidence names %s (NG038)', async (_what, evidenceOf) => {
    const f = await swapWithUsedCode()
    const evidence = { ...(await evidenceOf(f)), from: f.msisdn }
    await expect(recordMoConsent(f, evidence)).rejects.toMatchObject(refused)
    expect(await consents(f.requestId)).toBe(0)
  })

  it('is refused when its code was never matched (still pending) (NG038)', async () => {
    const { msisdn } = await heldNumber()
    const requestId = await newRequest(msisdn, 'sim_swap', 'pending')
    const codeId = randomUUID()
    await run(sql`INSERT INTO consent_codes (id, request_id, msisdn, party, purpose, code_salt, code_hash, state, created_at, expires_at)
                  VALUES (${codeId}, ${requestId}, ${msisdn}, 'holder', 'sim_swap', ${Buffer.alloc(16, 1)},
                          ${Buffer.alloc(32, 2)}, 'pending', now() - interval '5 minutes', now() + interval '10 minutes')`)
    const f = { msisdn, requestId, codeId }
    await expect(
      recordMoConsent(f, { mo_id: await storeMo(msisdn), from: msisdn, code_id: codeId }),
    ).rejects.toMatchObject(refused)
  })

  it('commits when it points at the number’s MO received after its code was sent (positive control)', async () => {
    const f = await swapWithUsedCode()
    // SMSCs drop the +: the stored MO's sender may lack it.
    const moId = await storeMo(f.msisdn.slice(1))
    await recordMoConsent(f, { mo_id: moId, from: f.msisdn, code_id: f.codeId })
    expect(await consents(f.requestId)).toBe(1)
  })
})

// ── Personal data erasure ──

async function personalDatum(recordedAgo: string): Promise<string> {
  const eventId = randomUUID()
  await run(sql`INSERT INTO audit_personal_data (event_id, field, salt, value, recorded_at)
                VALUES (${eventId}, 'name', ${Buffer.alloc(16, 3)}, 'Sokha Chan', now() - ${recordedAgo}::interval)`)
  return eventId
}
const kept = async (eventId: string) =>
  (
    await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_personal_data WHERE event_id = ${eventId}`.execute(
      g.db,
    )
  ).rows[0].n

describe('audit_erase_personal_data', () => {
  it.each([
    ['now', sql`now()`],
    ['tomorrow', sql`now() + interval '1 day'`],
    ['a day short of the 1,825-day retention', sql`now() - interval '1824 days'`],
  ])('refuses to erase what was recorded up to %s (NG038)', async (_when, before) => {
    const recent = await personalDatum('1 hour')
    const old = await personalDatum('1900 days')
    await expect(run(sql`SELECT audit_erase_personal_data(${before})`)).rejects.toMatchObject(refused)
    expect(await kept(recent)).toBe(1)
    expect(await kept(old)).toBe(1)
  })

  it('erases what is past its retention, and only that (positive control)', async () => {
    const recent = await personalDatum('1 hour')
    const old = await personalDatum('1900 days')
    await run(sql`SELECT audit_erase_personal_data(now() - interval '1826 days')`)
    expect(await kept(old)).toBe(0)
    expect(await kept(recent)).toBe(1)
  })
})
