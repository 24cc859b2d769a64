// A small fetch wrapper for the numguard API (same origin, cookie session `ng_session`).
// Error responses ({code, message, details}) become ApiError; a 401 sends the user to sign-in.
import { navigate } from './router'

export interface ErrorDetails {
  field?: string
  [key: string]: unknown
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: ErrorDetails

  constructor(status: number, code: string, message: string, details: ErrorDetails = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  body?: unknown
  /** Do not redirect to sign-in on 401 (the sign-in form and the session probe handle it themselves). */
  noRedirect?: boolean
  signal?: AbortSignal
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      credentials: 'same-origin',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    })
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'network_error', 'The numguard server could not be reached. Check your connection and retry.')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!res.ok) {
    const err = toApiError(res.status, data, text)
    if (res.status === 401 && !opts.noRedirect) redirectToSignIn()
    throw err
  }
  return data as T
}

function toApiError(status: number, data: unknown, text: string): ApiError {
  if (data && typeof data === 'object' && 'code' in data) {
    const d = data as { code: unknown; message?: unknown; details?: unknown }
    const details = d.details && typeof d.details === 'object' ? (d.details as ErrorDetails) : {}
    return new ApiError(status, String(d.code), String(d.message ?? `HTTP ${status}`), details)
  }
  const snippet = text.trim().slice(0, 200)
  return new ApiError(status, `http_${status}`, snippet || `The server answered HTTP ${status}.`)
}

function redirectToSignIn(): void {
  const here = window.location.pathname + window.location.search
  if (window.location.pathname === '/sign-in') return
  navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true })
}

/** Builds a query string, leaving out empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const sp = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') sp.set(k, String(v))
  }
  const s = sp.toString()
  return s ? `?${s}` : ''
}

/** Path segment for an MSISDN, ICCID or id ('+' must be escaped). */
export const seg = (s: string): string => encodeURIComponent(s)
