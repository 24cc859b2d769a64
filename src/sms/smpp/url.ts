// SMPP_URL: smpp://system_id:password@host:port (plain TCP) or smpps://… (TLS, certificate checked).

export class SmppConfigError extends Error {
  readonly code = 'invalid_smpp_config'
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.name = 'SmppConfigError'
    this.field = field
  }
}

export interface SmppEndpoint {
  host: string
  port: number
  tls: boolean
  systemId: string
  password: string
  /** `?system_type=…` when the SMSC wants one. */
  systemType: string
}

const DEFAULT_PORT = { smpp: 2775, smpps: 3550 } as const

export function parseSmppUrl(url: string): SmppEndpoint {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new SmppConfigError('SMPP_URL', 'SMPP_URL is not a URL: expected smpp://system_id:password@host:port')
  }
  const scheme = parsed.protocol.replace(/:$/, '')
  if (scheme !== 'smpp' && scheme !== 'smpps') {
    throw new SmppConfigError('SMPP_URL', `SMPP_URL must start with smpp:// or smpps://, not ${scheme}://`)
  }
  const systemId = decodeURIComponent(parsed.username)
  const password = decodeURIComponent(parsed.password)
  if (!systemId)
    throw new SmppConfigError('SMPP_URL', 'SMPP_URL has no system_id (smpp://system_id:password@host:port)')
  // SMPP 3.4 §5.2.1–2: system_id at most 15 octets, password at most 8.
  if (systemId.length > 15) throw new SmppConfigError('SMPP_URL', 'SMPP_URL system_id is longer than 15 characters')
  if (password.length > 8) throw new SmppConfigError('SMPP_URL', 'SMPP_URL password is longer than 8 characters')
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) throw new SmppConfigError('SMPP_URL', 'SMPP_URL has no host')
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORT[scheme]
  return {
    host,
    port,
    tls: scheme === 'smpps',
    systemId,
    password,
    systemType: parsed.searchParams.get('system_type') ?? '',
  }
}

/** The URL with the password hidden, for logs and status pages. */
export function redactSmppUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable SMPP_URL)'
  }
}
