import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { Empty, ErrorBox, Field, QueryView } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { fmtCount, fmtTime, label } from '../../format'
import type { Page, Range } from '../../types'

export function RangesPanel() {
  const qc = useQueryClient()
  const q = useQuery({ queryKey: ['ranges'], queryFn: ({ signal }) => api<Page<Range>>('/api/v1/ranges', { signal }) })
  const [first, setFirst] = useState('')
  const [last, setLast] = useState('')
  const [category, setCategory] = useState('standard')
  const add = useMutation({
    mutationFn: () =>
      api<Range>('/api/v1/ranges', { method: 'POST', body: { first: first.trim(), last: last.trim(), category } }),
    onSuccess: () => {
      setFirst('')
      setLast('')
      qc.invalidateQueries({ queryKey: ['ranges'] })
      qc.invalidateQueries({ queryKey: ['numbers'] })
      qc.invalidateQueries({ queryKey: ['stats'] })
    },
  })
  const errs = fieldErrors(add.error, ['first', 'last', 'category'], {
    patterns: {
      first: 'Give a mobile number as +855… (digits only).',
      last: 'Give a mobile number as +855… (digits only).',
    },
  })

  return (
    <section className="card" data-testid="ranges-panel">
      <h2>Number ranges</h2>
      <QueryView q={q} what="ranges">
        {(p) =>
          p.items.length === 0 ? (
            <Empty title="No ranges imported">
              Import the first range with the form below; its numbers become available.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="ranges-table">
                <thead>
                  <tr>
                    <th>First</th>
                    <th>Last</th>
                    <th className="num">Size</th>
                    <th>Category</th>
                    <th>Imported</th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((r) => (
                    <tr key={r.id}>
                      <td className="mono">{r.first}</td>
                      <td className="mono">{r.last}</td>
                      <td className="num">{fmtCount(r.size)}</td>
                      <td>{label(r.category)}</td>
                      <td className="nowrap">{fmtTime(r.imported_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      <h3>Import a range</h3>
      <form
        className="form-row"
        onSubmit={(e: FormEvent) => {
          e.preventDefault()
          add.mutate()
        }}
        data-testid="range-form"
      >
        <Field label="First MSISDN" error={errs.of('first')}>
          <input
            className="mono"
            value={first}
            onChange={(e) => setFirst(e.target.value)}
            placeholder="+85512000000"
            required
            aria-invalid={errs.of('first') ? true : undefined}
            data-testid="range-first"
          />
        </Field>
        <Field label="Last MSISDN" error={errs.of('last')}>
          <input
            className="mono"
            value={last}
            onChange={(e) => setLast(e.target.value)}
            placeholder="+85512000999"
            required
            aria-invalid={errs.of('last') ? true : undefined}
            data-testid="range-last"
          />
        </Field>
        <Field label="Category" error={errs.of('category')}>
          <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="range-category">
            <option value="standard">standard</option>
            <option value="golden">golden</option>
          </select>
        </Field>
        <button type="submit" className="btn primary" disabled={add.isPending} data-testid="range-submit">
          {add.isPending ? 'Importing…' : 'Import range'}
        </button>
      </form>
      {add.error && <ErrorBox error={add.error} title="Range not imported" atField={errs.inline} />}
      {add.data && (
        <p className="ok-note" data-testid="range-ok">
          Imported <span className="mono">{add.data.first}</span> – <span className="mono">{add.data.last}</span> (
          {fmtCount(add.data.size)} numbers).
        </p>
      )}
    </section>
  )
}
