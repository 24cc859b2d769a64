// A tiny history router: the console has a handful of pages and needs no routing library.
import { useSyncExternalStore } from 'react'

const listeners = new Set<() => void>()

function notify(): void {
  for (const l of listeners) l()
}

window.addEventListener('popstate', notify)

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return
  if (opts.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  window.scrollTo(0, 0)
  notify()
}

function subscribe(cb: () => void): () => void {
  listeners.add(cb)
  return () => listeners.delete(cb)
}

const snapshot = (): string => window.location.pathname + window.location.search

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot)
  const [path, search = ''] = href.split('?')
  return { path, query: new URLSearchParams(search) }
}

/** Matches '/numbers/:msisdn' against a path; returns decoded params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = path.split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i])
      } catch {
        return null
      }
    } else if (p[i] !== s[i]) return null
  }
  return params
}
