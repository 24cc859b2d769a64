import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { Empty, ErrorBox, Field, QueryView } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { fmtCount } from '../../format'
import type { Page, Shop } from '../../types'

export function AllocatePanel() {
  const qc = useQueryClient()
  const shops = useQuery({ queryKey: ['shops'], queryFn: ({ signal }) => api<Page<Shop>>('/api/v1/shops', { signal }) })
  const [shopId, setShopId] = useState('')
  const [count, setCount] = useState('10')
  const alloc = useMutation({
    mutationFn: () =>
      api<{ allocated: number }>('/api/v1/sims/allocate', {
        method: 'POST',
        body: { shop_id: shopId, count: Number(count) },
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['sims'] }),
  })
  const errs = fieldErrors(alloc.error, ['shop_id', 'count'])
  return (
    <section className="card" data-testid="allocate-panel">
      <h2>Allocate SIMs to a shop</h2>
      <QueryView q={shops} what="shops">
        {(p) =>
          p.items.length === 0 ? (
            <Empty title="No shops">Shops are created by an administrator; none exist yet.</Empty>
          ) : (
            <form
              className="form-row"
              onSubmit={(e: FormEvent) => {
                e.preventDefault()
                alloc.mutate()
              }}
            >
              <Field label="Shop" error={errs.of('shop_id')}>
                <select
                  value={shopId}
                  onChange={(e) => setShopId(e.target.value)}
                  required
                  aria-invalid={errs.of('shop_id') ? true : undefined}
                  data-testid="allocate-shop"
                >
                  <option value="">Choose a shop…</option>
                  {p.items.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name} ({s.id})
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="How many SIMs" error={errs.of('count')}>
                <input
                  type="number"
                  min={1}
                  max={100000}
                  value={count}
                  onChange={(e) => setCount(e.target.value)}
                  required
                  aria-invalid={errs.of('count') ? true : undefined}
                  data-testid="allocate-count"
                />
              </Field>
              <button
                type="submit"
                className="btn primary"
                disabled={alloc.isPending || !shopId}
                data-testid="allocate-submit"
              >
                {alloc.isPending ? 'Allocating…' : 'Allocate'}
              </button>
            </form>
          )
        }
      </QueryView>
      {alloc.error && <ErrorBox error={alloc.error} title="SIMs not allocated" atField={errs.inline} />}
      {alloc.data && (
        <p className="ok-note" data-testid="allocate-ok">
          Allocated {fmtCount(alloc.data.allocated)} SIMs from stock.
        </p>
      )}
    </section>
  )
}
