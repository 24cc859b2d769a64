// The demo partner's side of the CAMARA APIs, called from the browser as a bank's server would: a client-credentials
// token from /oauth/token, then /camara with it. Answers (errors included) are shown as CAMARA sent them.

export interface DemoPartner {
  client_id: string
  client_secret: string
  scopes: string[]
  purpose: string
  sink: string
  sink_token: string
  /** When the sink token stops being valid: sent as the subscription's accessTokenExpiresUtc, which CAMARA requires. */
  sink_token_expires_at: string
}

export interface CamaraAnswer {
  status: number
  correlator: string | null
  body: unknown
}

export type Operation = 'sim-swap-check' | 'sim-swap-retrieve-date' | 'number-recycling-check'

export const OPERATIONS: Record<Operation, { label: string; path: string }> = {
  'sim-swap-check': { label: 'SIM swap: check', path: '/camara/sim-swap/v2/check' },
  'sim-swap-retrieve-date': { label: 'SIM swap: retrieve date', path: '/camara/sim-swap/v2/retrieve-date' },
  'number-recycling-check': { label: 'Number recycling: check', path: '/camara/number-recycling/v0.2/check' },
}

async function partnerToken(partner: DemoPartner): Promise<string> {
  const res = await fetch('/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: partner.client_id,
      client_secret: partner.client_secret,
    }),
  })
  const body = await res.json()
  if (!res.ok) throw new Error(`The token endpoint answered ${res.status}: ${body?.message ?? ''}`)
  return body.access_token as string
}

/** One CAMARA call as the demo partner, with a fresh x-correlator echoed back. */
export async function callCamara(partner: DemoPartner, path: string, body: unknown, method = 'POST') {
  const token = await partnerToken(partner)
  const correlator = `console-${Date.now().toString(36)}`
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'x-correlator': correlator,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    // Not JSON: shown as text.
  }
  return { status: res.status, correlator: res.headers.get('x-correlator'), body: parsed } satisfies CamaraAnswer
}
