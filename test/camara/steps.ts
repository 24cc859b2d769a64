// Step definitions for the official CAMARA features: each step text of the .feature files, matched by a pattern, does
// what it says against numguard. A step no pattern matches fails its scenario (nothing passes by being unknown).
import { Ajv } from 'ajv'
import { expect } from 'vitest'
import { localDate } from '../../src/domain/zoned-time.ts'
import { sweepDueNumbers } from '../../src/recycling/sweep.ts'
import { makeRange } from '../helpers/factories.ts'
import { signInAgain, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'
import { DAY, HOUR, sellAgain } from './support.ts'
import { NotApplicable, type World } from './world.ts'

type Handler = (w: World, ...groups: string[]) => Promise<void> | void
export const THREE_LEGGED =
  'needs a 3-legged access token that identifies the phone number: numguard issues only 2-legged client-credentials tokens'
export const SERVICE_ALWAYS_APPLICABLE =
  'numguard answers for every number of its ranges: no subscription type is excluded (SERVICE_NOT_APPLICABLE never applies)'

/** What the OAS spec of the feature says (its components), to check bodies against. */
export interface Spec {
  doc: Record<string, unknown>
  /** A key for the spec among the validator's schemas. */
  id: string
  /** The default body of the feature's operation, beyond phoneNumber. */
  defaults: (w: World) => Record<string, unknown>
  send: (w: World) => Promise<void>
}

let ajv: Ajv | undefined
/** Checks a value against a component schema of the feature's spec. */
export function checkSchema(spec: Spec, pointer: string, value: unknown): void {
  const validate = validatorFor(spec, pointer.startsWith('#') ? pointer : `#${pointer}`)
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true)
}

function validatorFor(spec: Spec, pointer: string) {
  if (!ajv) ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
  const id = spec.id
  if (!ajv.getSchema(id)) ajv.addSchema(spec.doc, id)
  return ajv.compile({ $ref: `${id}#${pointer.replace(/^#/, '')}` })
}

async function setWindow(w: World, days: number) {
  const key = 'camara_privacy_window_days'
  const db = w.t.app.db
  const had = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
  if (had)
    await db
      .updateTable('settings')
      .set({ value: String(days) })
      .where('key', '=', key)
      .execute()
  else
    await db
      .insertInto('settings')
      .values({ key, value: String(days) })
      .execute()
  w.cleanup.push(async () => {
    await db.updateTable('settings').set({ value: '120' }).where('key', '=', key).execute()
  })
}

export function steps(spec: Spec): [RegExp, Handler][] {
  return [
    // ── Setup of the request ──
    [/^an environment at "apiRoot"$/, () => {}],
    [
      /^the resource "([^"]+)"$/,
      (w, path) => {
        w.resource = path
      },
    ],
    [
      /^the header "Content-Type" is set to "application\/json"$/,
      (w) => {
        w.headers['content-type'] = 'application/json'
      },
    ],
    [
      /^the header "x-correlator" complies with the schema at ".*XCorrelator"$/,
      (w) => {
        w.headers['x-correlator'] = `gherkin-${crypto.randomUUID()}`
      },
    ],
    [
      /^the header "Authorization" is set to a valid access token$/,
      (w) => {
        w.auth = 'valid'
      },
    ],
    [
      /^the header "Authorization" is set to a valid access( token)? which does not identify a single phone number$/,
      (w) => {
        w.auth = 'valid'
      },
    ],
    [
      /^the header "Authorization" is set to an expired access token$/,
      (w) => {
        w.auth = 'expired'
      },
    ],
    [
      /^the header "Authorization" is set to an invalid access token( which is invalid for reasons other than lifetime expiry)?$/,
      (w) => {
        w.auth = 'invalid'
      },
    ],
    [
      /^the header "Authorization" is (removed|not sent)$/,
      (w) => {
        w.auth = 'none'
      },
    ],
    [
      /^the header "Authorization" is set to an access token without the required scope$/,
      (w) => {
        w.auth = 'no-scope'
      },
    ],
    [
      /^the header "Authorization" is set to a valid access token identifying a phone number$/,
      () => {
        throw new NotApplicable(THREE_LEGGED)
      },
    ],
    [
      /^that the service is not available for all phone numbers commercialized by the operator$/,
      () => {
        throw new NotApplicable(SERVICE_ALWAYS_APPLICABLE)
      },
    ],
    [
      /^the request body is set by default to a request body compliant with the schema$/,
      (w) => {
        w.body = {}
      },
    ],
    [/^the request body is set to a valid request body$/, () => {}],
    [
      /^the request body is not included$/,
      (w) => {
        w.absent = true
      },
    ],
    [
      /^the request body is set to "(.*)"$/,
      (w, raw) => {
        w.raw = raw
      },
    ],
    [/^the request body property "\$\.phoneNumber" is not included$/, (w) => void w.removed.add('phoneNumber')],
    [
      /^the request body property "\$\.phoneNumber" does not comply with the OAS schema at ".*PhoneNumber"$/,
      (w) => {
        w.body.phoneNumber = '0012-345'
      },
    ],
    [
      /^the request body property "\$\.phoneNumber" is compliant with the schema but does not identify a valid phone number$/,
      (w) => {
        w.body.phoneNumber = '+4915112345678'
      },
    ],

    // ── The number and its history ──
    [
      /^a valid (testing )?phone number (supported by the service, )?identified by the (access )?token or provided in the request body$/,
      async (w) => void (await w.activeNumber()),
    ],
    [
      /^the phone number is not associated to any sim card$/,
      async (w) => {
        ;[w.msisdn] = await makeRange(w.t.app, 1)
      },
    ],
    [
      /^the request body property "\$\.specifiedDate" is set to a date on which the user signed contracts with Service Provider$/,
      (w) => {
        w.body.specifiedDate = localDate(w.soldAt as Date, 'Asia/Phnom_Penh')
        w.advance(3 * DAY)
      },
    ],
    [
      /^the same phone number was cancelled by the User A and is used by User B$/,
      async (w) => {
        const msisdn = await w.number()
        const custody = await w.t.app.db
          .selectFrom('custodies')
          .select('id')
          .where('msisdn', '=', msisdn)
          .executeTakeFirstOrThrow()
        w.advance(90 * DAY)
        await withdrawForInactivity(w.t.app, { msisdn, custodyId: custody.id })
        w.advance(91 * DAY)
        await sweepDueNumbers(w.t.app)
        await signInAgain(w.t.app, w.s.agent)
        await sellAgain(w.t.app, w.s.agent, msisdn)
        w.advance(DAY)
      },
    ],
    [
      /^the request body property "\$\.specifiedDate" is set to a date on which the User A signed contracts with Service Provider$/,
      (w) => {
        w.body.specifiedDate = localDate(w.soldAt as Date, 'Asia/Phnom_Penh')
      },
    ],
    [
      /^the request body is set to a valid parameter combination with property "\$\.specifiedDate" set to "(.*)"$/,
      (w, value) => {
        w.body.specifiedDate = value
      },
    ],
    [
      /^the request body property "\$\.specifiedDate" is set to a value in the future$/,
      (w) => {
        w.body.specifiedDate = localDate(new Date(w.now().getTime() + 10 * DAY), 'Asia/Phnom_Penh')
      },
    ],
    [
      /^the request body is set to any value which is not compliant with the OAS schema at ".*"$/,
      (w) => {
        w.body.specifiedDate = 'last Tuesday'
      },
    ],
    [
      /^the SIM for this phone number has been swapped$/,
      async (w) => {
        await w.swapSim()
        w.advance(HOUR)
      },
    ],
    [
      /^the SIM for this phone number has been swapped in the last "?(\d+)"?( hours)?$/,
      async (w, hours) => {
        await w.swapSim()
        w.advance((Number(hours) - 1) * HOUR)
      },
    ],
    [
      /^the SIM for this phone number has been swapped more than (\d+) hours ago$/,
      async (w, hours) => {
        await w.swapSim()
        w.advance((Number(hours) + 1) * HOUR)
      },
    ],
    [
      /^the SIM for this phone number has been swapped before the limited history window threshold$/,
      async (w) => {
        await w.swapSim()
        w.advance(121 * DAY)
      },
    ],
    [
      /^the SIM for this phone number has never been swapped$/,
      async (w) => {
        const swaps = await w.t.app.db
          .selectFrom('sim_swaps')
          .select('msisdn')
          .where('msisdn', '=', await w.number())
          .execute()
        expect(swaps).toEqual([])
      },
    ],
    [
      /^the activation of the SIM occurred more than "?(\d+)"? hours ago$/,
      (w, hours) => void w.advance((Number(hours) + 1) * HOUR),
    ],
    [
      /^the "maxAge" request body property is set to a value equal or greater than "(\d+)" within the allowed range$/,
      (w, hours) => {
        w.body.maxAge = Math.min(2400, Number(hours))
      },
    ],
    [
      /^the request body property "maxAge" is set to a value less than "(\d+)" within the allowed range$/,
      (w, hours) => {
        w.body.maxAge = Number(hours) - 1
      },
    ],
    [
      /^the request body property "maxAge" is set to the number of hours since the last SIM swap minus 1$/,
      async (w) => {
        const at = w.swappedAt ?? (await w.swapSim())
        w.advance(50 * HOUR)
        w.body.maxAge = Math.floor((w.now().getTime() - at.getTime()) / HOUR) - 1
      },
    ],
    [
      /^the last swap for this phone number's SIM was more than "maxAge" hours ago$/,
      (w) => {
        expect(w.now().getTime() - (w.swappedAt as Date).getTime()).toBeGreaterThan(Number(w.body.maxAge) * HOUR)
      },
    ],
    [
      /^the request body property "\$\.maxAge" does not comply with the OAS schema at ".*"$/,
      (w) => {
        w.body.maxAge = 'forty'
      },
    ],
    [
      /^the request body property "\$\.maxAge" is set to (\d+)$/,
      (w, value) => {
        w.body.maxAge = Number(value)
      },
    ],
    [
      /^the request body property "\$\.maxAge" is set to a valid value above the supported monitored period of the API Provider$/,
      async (w) => {
        // numguard's monitored period is the market's privacy window (a setting): 30 days here, so 2,000 h is past it.
        await setWindow(w, 30)
        w.body.maxAge = 2000
      },
    ],

    // ── Sending ──
    [/^the (HTTP "POST" )?request( "\w+")? is sent$/, (w) => spec.send(w)],

    // ── The response ──
    [
      /^the response status code is "?(\d+)"?$/,
      (w, status) => {
        expect(w.response?.statusCode, w.response?.body).toBe(Number(status))
      },
    ],
    [
      /^the response header "Content-Type" is "application\/json"$/,
      (w) => {
        expect(String(w.response?.headers['content-type'])).toMatch(/^application\/json/)
      },
    ],
    [
      /^the response header "x-correlator" has same value as the request header "x-correlator"$/,
      (w) => {
        expect(w.response?.headers['x-correlator']).toBe(w.headers['x-correlator'])
      },
    ],
    [
      /^the response body complies with the OAS schema at "(.+)"$/,
      (w, pointer) => {
        const validate = validatorFor(spec, pointer.startsWith('#') ? pointer : `#${pointer}`)
        expect(validate(w.json()), JSON.stringify(validate.errors)).toBe(true)
      },
    ],
    [
      /^the response property "\$\.(status|code)" is "?([^"]+)"?$/,
      (w, name, value) => {
        expect(w.json()[name]).toBe(name === 'status' ? Number(value) : value)
      },
    ],
    [
      /^the response property "\$\.message" contains a user friendly text$/,
      (w) => {
        const message = w.json().message
        expect(
          typeof message === 'string' && message.length > 10 && !/\bat \w+ \(|Error:/.test(message),
          String(message),
        ).toBe(true)
      },
    ],
    [
      /^the value of response property "\$\.(\w+)" (?:is|==) (true|false)$/,
      (w, name, value) => {
        expect(w.json()[name]).toBe(value === 'true')
      },
    ],
    [/^the response property "\$\.latestSimChange" is null$/, (w) => void expect(w.json().latestSimChange).toBeNull()],
    [
      /^the response property "\$\.latestSimChange" contains a valid timestamp$/,
      (w) => {
        expect(w.json().latestSimChange).toBe((w.swappedAt as Date).toISOString())
      },
    ],
    [
      /^the response property "\$\.latestSimChange" contains the sim's activation timestamp$/,
      (w) => {
        expect(w.json().latestSimChange).toBe((w.soldAt as Date).toISOString())
      },
    ],
    [
      /^the response optionally contains the property "\$\.monitoredPeriod" with the value of monitored time frame \(in days\) supported by the MNO$/,
      (w) => {
        expect(w.json().monitoredPeriod).toBe(120)
      },
    ],
  ]
}

export async function runStep(table: [RegExp, Handler][], w: World, text: string): Promise<void> {
  for (const [pattern, handler] of table) {
    const m = pattern.exec(text)
    if (m) return handler(w, ...m.slice(1))
  }
  throw new Error(`no step definition matches: ${text}`)
}
