import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { ErrorBox } from '../../components/Status'
import type { Abilities } from '../../types'

/** Reserve / release / sell, each shown only when the server's abilities allow it. */
export function NumberActions({
  msisdn,
  abilities,
  compact,
}: {
  msisdn: string
  abilities: Abilities
  compact?: boolean
}) {
  const qc = useQueryClient()
  const done = () => {
    qc.invalidateQueries({ queryKey: ['numbers'] })
    qc.invalidateQueries({ queryKey: ['number', msisdn] })
    qc.invalidateQueries({ queryKey: ['stats'] })
  }
  const reserve = useMutation({
    mutationFn: () => api(`/api/v1/numbers/${seg(msisdn)}/reserve`, { method: 'POST', body: {} }),
    onSettled: done,
  })
  const release = useMutation({
    mutationFn: () => api(`/api/v1/numbers/${seg(msisdn)}/release`, { method: 'POST', body: {} }),
    onSettled: done,
  })
  const busy = reserve.isPending || release.isPending
  const error = reserve.error ?? release.error
  const size = compact ? 'btn small' : 'btn'
  const none = !abilities.reserve && !abilities.release && !abilities.sell

  return (
    <div className="number-actions">
      <div className="actions">
        {abilities.reserve && (
          <button
            type="button"
            className={size}
            disabled={busy}
            onClick={() => reserve.mutate()}
            data-testid="reserve-button"
          >
            {reserve.isPending ? 'Reserving…' : 'Reserve'}
          </button>
        )}
        {abilities.release && (
          <button
            type="button"
            className={`${size} ghost`}
            disabled={busy}
            onClick={() => release.mutate()}
            data-testid="release-button"
          >
            {release.isPending ? 'Releasing…' : 'Release'}
          </button>
        )}
        {abilities.sell && (
          <Link to={`/numbers/${seg(msisdn)}/sell`} className={`${size} primary`} data-testid="sell-button">
            Sell
          </Link>
        )}
        {none && !compact && <span className="muted">No actions available to you on this number.</span>}
      </div>
      {error && <ErrorBox error={error} title={reserve.error ? 'Reserve refused' : 'Release refused'} />}
    </div>
  )
}
