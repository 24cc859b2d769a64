import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { Empty, ErrorBox, Field, QueryView } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import type { Shop } from '../../types'
import { adminKeys, useShops } from './adminTypes'

const PATTERNS = { id: 'Use 2 to 40 lowercase letters, digits or dashes (e.g. kampot-market).' }

/** Shops, and for an admin the form to add one (POST /api/v1/shops). */
export function ShopsPanel({ manage }: { manage: boolean }) {
  const qc = useQueryClient()
  const q = useShops()
  const [id, setId] = useState('')
  const [name, setName] = useState('')
  const create = useMutation({
    mutationFn: () => api<Shop>('/api/v1/shops', { method: 'POST', body: { id: id.trim(), name: name.trim() } }),
    onSuccess: () => {
      setId('')
      setName('')
      qc.invalidateQueries({ queryKey: adminKeys.shops })
    },
  })
  const errs = fieldErrors(create.error, ['id', 'name'], { codeFields: { shop_exists: 'id' }, patterns: PATTERNS })
  const edit = (f: (s: string) => void) => (s: string) => {
    f(s)
    if (create.error) create.reset()
  }

  return (
    <div className="panel-stack">
      <section className="card">
        <h2>Shops</h2>
        <QueryView q={q} what="shops">
          {(p) =>
            p.items.length === 0 ? (
              <Empty title="No shops">Agents and supervisors work at a shop; create the first one below.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="admin-shops-table">
                  <thead>
                    <tr>
                      <th>Shop id</th>
                      <th>Name</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((s) => (
                      <tr key={s.id}>
                        <td className="mono">{s.id}</td>
                        <td>{s.name}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      </section>
      {manage && (
        <form
          className="card"
          onSubmit={(e: FormEvent) => {
            e.preventDefault()
            create.mutate()
          }}
          data-testid="admin-create-shop"
        >
          <h2>Create a shop</h2>
          <div className="form-grid">
            <Field label="Shop id" hint="Lowercase letters, digits and dashes; it cannot change." error={errs.of('id')}>
              <input
                className="mono"
                value={id}
                onChange={(e) => edit(setId)(e.target.value)}
                required
                aria-invalid={errs.of('id') ? true : undefined}
                data-testid="admin-shop-id"
              />
            </Field>
            <Field label="Name" error={errs.of('name')}>
              <input
                value={name}
                onChange={(e) => edit(setName)(e.target.value)}
                required
                aria-invalid={errs.of('name') ? true : undefined}
                data-testid="admin-shop-name"
              />
            </Field>
          </div>
          {create.error && <ErrorBox error={create.error} title="Shop not created" atField={errs.inline} />}
          {create.data && (
            <p className="ok-note" data-testid="admin-shop-created">
              Created shop <strong>{create.data.name}</strong> (<span className="mono">{create.data.id}</span>).
            </p>
          )}
          <button type="submit" className="btn primary" disabled={create.isPending} data-testid="admin-shop-submit">
            {create.isPending ? 'Creating…' : 'Create shop'}
          </button>
        </form>
      )}
    </div>
  )
}
