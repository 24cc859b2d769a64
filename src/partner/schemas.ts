// Request and response schemas of the CAMARA operations, as number-recycling.yaml (0.2.0) and sim-swap.yaml (2.1.0)
// define them. Bodies refuse unknown properties; bounds on numbers are OUT_OF_RANGE (src/partner/errors.ts).
import { XCORRELATOR_PATTERN } from './errors.ts'

export const PHONE_NUMBER = {
  type: 'string',
  pattern: '^\\+[1-9][0-9]{4,14}$',
  description: 'A public identifier addressing a telephone subscription (E.164 with a leading +)',
} as const

export const CORRELATOR_HEADERS = {
  type: 'object',
  properties: {
    'x-correlator': {
      type: 'string',
      pattern: XCORRELATOR_PATTERN,
      description: 'Correlation id for the different services; echoed in the response',
    },
  },
} as const

const ERROR_INFO = {
  type: 'object',
  required: ['status', 'code', 'message'],
  properties: { status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
} as const

const errors = (statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: `CAMARA error ${s}`, ...ERROR_INFO }]))

/** The error responses every CAMARA operation documents. */
export const CAMARA_ERRORS = errors([400, 401, 403, 404, 422, 429])

export const NUMBER_RECYCLING_CHECK = {
  tags: ['CAMARA Number Recycling 0.2'],
  operationId: 'checkNumberRecycling',
  summary: 'Check whether the subscriber of the phone number has changed since a date',
  headers: CORRELATOR_HEADERS,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['specifiedDate'],
    properties: {
      phoneNumber: PHONE_NUMBER,
      specifiedDate: {
        type: 'string',
        format: 'date',
        description: 'RFC 3339 calendar date (YYYY-MM-DD), in the operator’s time zone',
      },
    },
  },
  response: {
    200: {
      description: 'OK',
      type: 'object',
      required: ['phoneNumberRecycled'],
      properties: { phoneNumberRecycled: { type: 'boolean' } },
    },
    ...CAMARA_ERRORS,
  },
} as const

export const SIM_SWAP_RETRIEVE_DATE = {
  tags: ['CAMARA SIM Swap 2.1'],
  operationId: 'retrieveSimSwapDate',
  summary: 'Get the timestamp of the latest MSISDN ↔ IMSI pairing change of a number',
  headers: CORRELATOR_HEADERS,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { phoneNumber: PHONE_NUMBER },
  },
  response: {
    200: {
      description: 'OK',
      type: 'object',
      required: ['latestSimChange'],
      properties: {
        latestSimChange: { type: 'string', format: 'date-time', nullable: true },
        monitoredPeriod: { type: 'integer', description: 'Days of SIM change supervision (the privacy window)' },
      },
    },
    ...CAMARA_ERRORS,
  },
} as const

export const SIM_SWAP_CHECK = {
  tags: ['CAMARA SIM Swap 2.1'],
  operationId: 'checkSimSwap',
  summary: 'Check whether the SIM of a number changed within the last maxAge hours',
  headers: CORRELATOR_HEADERS,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      phoneNumber: PHONE_NUMBER,
      maxAge: {
        type: 'integer',
        format: 'int32',
        minimum: 1,
        maximum: 2400,
        default: 240,
        description: 'Period in hours to be checked for SIM swap',
      },
    },
  },
  response: {
    200: {
      description: 'OK',
      type: 'object',
      required: ['swapped'],
      properties: { swapped: { type: 'boolean' } },
    },
    ...CAMARA_ERRORS,
  },
} as const
