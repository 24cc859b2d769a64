// The signed-in staff member and the server's meta, shared by every page through TanStack Query.
import { useQuery } from '@tanstack/react-query'
import { api } from './api'
import type { Me, Meta } from './types'

export const meKey = ['auth', 'me'] as const
export const metaKey = ['meta'] as const

export function useMe(enabled = true) {
  return useQuery({
    queryKey: meKey,
    queryFn: ({ signal }) => api<Me>('/api/v1/auth/me', { signal }),
    enabled,
    retry: false,
    staleTime: 60_000,
  })
}

export function useMeta() {
  return useQuery({
    queryKey: metaKey,
    queryFn: ({ signal }) => api<Meta>('/api/v1/meta', { signal, noRedirect: true }),
    staleTime: 30_000,
  })
}
