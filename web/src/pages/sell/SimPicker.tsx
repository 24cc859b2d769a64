import { useQuery } from '@tanstack/react-query'
import { api, qs } from '../../api'
import { Empty, Field, QueryView } from '../../components/Status'
import type { Page, Sim } from '../../types'

/** Allocated SIMs of the agent's shop, to bind to the number being sold. */
export function SimPicker({
  shopId,
  value,
  onChange,
  error,
}: {
  shopId: string
  value: string
  onChange: (iccid: string) => void
  error?: string
}) {
  const q = useQuery({
    queryKey: ['sims', shopId, 'allocated'],
    queryFn: ({ signal }) =>
      api<Page<Sim>>(`/api/v1/sims${qs({ shop_id: shopId, state: 'allocated', limit: 200 })}`, { signal }),
  })
  return (
    <QueryView q={q} what="your shop's SIMs">
      {(p) =>
        p.items.length === 0 ? (
          <Empty title="No SIMs allocated to your shop">
            Ask an inventory manager to allocate SIM stock to shop <code>{shopId}</code>, then reload this page.
          </Empty>
        ) : (
          <Field label={`SIM (${p.items.length} allocated to your shop)`} error={error}>
            <select
              className="mono"
              value={value}
              onChange={(e) => onChange(e.target.value)}
              required
              aria-invalid={error ? true : undefined}
              data-testid="sell-sim"
            >
              <option value="">Choose a SIM…</option>
              {p.items.map((s) => (
                <option key={s.iccid} value={s.iccid}>
                  {s.iccid} (IMSI {s.imsi})
                </option>
              ))}
            </select>
          </Field>
        )
      }
    </QueryView>
  )
}
