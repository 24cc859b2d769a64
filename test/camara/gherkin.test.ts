// The official CAMARA Gherkin features (test/camara/features, unchanged) run against the real server: every scenario
// passes, or is one README lists as not applying to numguard with the reason its inapplicable step gives.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { TestApp } from '../helpers/app.ts'
import { makeStaff } from '../helpers/factories.ts'
import { openConsentApp } from '../scenarios/consent-harness.ts'
import { parseFeature } from './gherkin.ts'
import { checkSchema, runStep, SERVICE_ALWAYS_APPLICABLE, type Spec, steps, THREE_LEGGED } from './steps.ts'
import {
  ASYNC_NOT_OFFERED,
  CONTRADICTS_102,
  NO_CONTENT,
  NOT_ALLOWED_DEVICE,
  sub,
  subscriptionSteps,
} from './subscription-steps.ts'
import { partnerClient } from './support.ts'
import { FULL_SCOPES, NotApplicable, type Shared, World } from './world.ts'

const DIR = new URL('./features/', import.meta.url)
const read = (name: string) => readFileSync(fileURLToPath(new URL(name, DIR)), 'utf8')

/** Scenarios that do not apply to numguard, by tag, with the reason (README "Partner APIs" lists the same). */
const NOT_APPLICABLE: Record<string, string> = {
  '@checkNumberRecycling_C02.03_unnecessary_phone_number': THREE_LEGGED,
  '@check_sim_swap_C02.03_unnecessary_phone_number': THREE_LEGGED,
  '@retrieve_sim_swap_date_C02.03_unnecessary_phone_number': THREE_LEGGED,
  '@checkNumberRecycling_C02.05_phone_number_not_supported': SERVICE_ALWAYS_APPLICABLE,
  '@check_sim_swap_C02.05_phone_number_not_supported': SERVICE_ALWAYS_APPLICABLE,
  '@retrieve_sim_swap_date_C02.05_phone_number_not_supported': SERVICE_ALWAYS_APPLICABLE,
  '@sim_swap_subscription_creation_02_async_creation': ASYNC_NOT_OFFERED,
  '@sim_swap_subscription_delete_05_delete_subscription': NO_CONTENT,
  '@sim_swap_subscription_retrieve_07_retrieve_list_3legs': THREE_LEGGED,
  '@sim_swap_subscription_retrieve_08_retrieve_empty_list_3legs': THREE_LEGGED,
  '@sim_swap_subscription_creation_25_require_input_properties_missing ($.config.subscriptionDetail.phoneNumber)':
    CONTRADICTS_102,
  '@sim_swap_subscription_creation_101_phone_number_token_mismatch': THREE_LEGGED,
  '@sim_swap_subscription_creation_100_not_applicable': NOT_ALLOWED_DEVICE,
}

const FEATURES: {
  file: string
  spec: string
  defaults: (w: World, msisdn: string) => Record<string, unknown>
  subscriptions?: boolean
}[] = [
  {
    file: 'number-recycling.feature',
    spec: 'number-recycling.yaml',
    defaults: (w, msisdn) => ({ phoneNumber: msisdn, specifiedDate: w.today() }),
  },
  { file: 'sim-swap-checkSimSwap.feature', spec: 'sim-swap.yaml', defaults: (_w, msisdn) => ({ phoneNumber: msisdn }) },
  {
    file: 'sim-swap-retrieveSimSwapDate.feature',
    spec: 'sim-swap.yaml',
    defaults: (_w, msisdn) => ({ phoneNumber: msisdn }),
  },
  {
    file: 'sim-swap-subscriptions.feature',
    spec: 'sim-swap-subscriptions.yaml',
    defaults: () => ({}),
    subscriptions: true,
  },
]

for (const f of FEATURES) {
  const feature = parseFeature(read(f.file))
  describe(`${f.file}: ${feature.name}`, () => {
    let shared: Shared
    let t: TestApp
    beforeAll(async () => {
      t = await openConsentApp()
      shared = { t, agent: await makeStaff(t.app, ['agent']), partner: await partnerClient(t, FULL_SCOPES) }
    })
    afterAll(() => t.close())
    const spec: Spec = {
      doc: parse(read(f.spec)),
      id: f.spec.replace(/\W/g, ''),
      defaults: () => ({}),
      send: async (w) => w.send(f.defaults(w, await w.number())),
    }
    const common = steps(spec)
    const table = f.subscriptions
      ? [...subscriptionSteps((pointer, value) => checkSchema(spec, pointer, value)), ...common]
      : common

    it('has scenarios and every one is tagged', () => {
      expect(feature.scenarios.length).toBeGreaterThan(5)
      for (const s of feature.scenarios) expect(s.tags.length, s.name).toBeGreaterThan(0)
    })

    for (const scenario of feature.scenarios) {
      const tag = scenario.tags[0]
      const key = scenario.example ? `${tag} (${scenario.example})` : tag
      it(`${tag} ${scenario.name}`, async () => {
        const w = new World(shared)
        try {
          for (const step of [...feature.background, ...scenario.steps]) {
            // The subscriptions feature sets body properties after "the request is sent": send at the first Then.
            const pending = sub(w).pending
            if (step.keyword === 'Then' && pending) {
              sub(w).pending = undefined
              await pending()
            }
            await runStep(table, w, step.text)
          }
          expect(NOT_APPLICABLE[key], `${key} passed: take it off the not-applicable list`).toBeUndefined()
        } catch (err) {
          if (!(err instanceof NotApplicable)) throw err
          expect(NOT_APPLICABLE[key], `${key} does not apply (${err.message}): list it in README`).toBe(err.message)
        } finally {
          for (const undo of w.cleanup) await undo()
        }
      }, 60_000)
    }
  })
}

describe('README', () => {
  it('lists every scenario that does not apply, with its reason', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
    for (const [key, reason] of Object.entries(NOT_APPLICABLE)) {
      const tag = key.split(' ')[0]
      expect(readme, tag).toContain(tag.slice(1))
      expect(readme, reason).toContain(reason)
    }
  })
})
