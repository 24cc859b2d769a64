import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { ShortId } from '../../components/ShortId'
import { QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { SimSwapItem, SwapLock } from './changeTypes'
import { lockText } from './HolderForms'

/** The number's SIM-swap history (the record the CAMARA SIM Swap API answers from) and the holder's lock. */
export function SimSwapPanel({ msisdn, held }: { msisdn: string; held: boolean }) {
  const swaps = useQuery({
    queryKey: ['number', msisdn, 'sim-swaps'],
    queryFn: ({ signal }) => api<{ items: SimSwapItem[] }>(`/api/v1/numbers/${seg(msisdn)}/sim-swaps`, { signal }),
  })
  const lock = useQuery({
    queryKey: ['number', msisdn, 'swap-lock'],
    queryFn: ({ signal }) => api<SwapLock>(`/api/v1/numbers/${seg(msisdn)}/swap-lock`, { signal }),
    enabled: held,
  })
  return (
    <section className="card" data-testid="sim-swaps">
      <h2>SIM swaps</h2>
      {held && (
        <p data-testid="swap-lock-status">
          SIM-swap lock: <strong>{lock.data ? lockText(lock.data) : lock.error ? 'unknown' : '…'}</strong>
        </p>
      )}
      <QueryView q={swaps} what="SIM swaps">
        {(data) =>
          data.items.length === 0 ? (
            <p className="muted">No SIM swap on this number.</p>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Swapped</th>
                    <th>Kind</th>
                    <th>From SIM</th>
                    <th>To SIM</th>
                    <th>Request</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => (
                    <tr key={s.request_id}>
                      <td>{fmtTime(s.swapped_at)}</td>
                      <td>{s.kind === 'sim_swap_lost' ? 'lost / stolen' : label(s.kind)}</td>
                      <td className="mono">{s.withheld ? <span className="muted">withheld</span> : s.old_iccid}</td>
                      <td className="mono">{s.withheld ? <span className="muted">withheld</span> : s.new_iccid}</td>
                      <td>
                        <ShortId value={s.request_id} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </section>
  )
}
