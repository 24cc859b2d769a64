import { useInfiniteQuery } from '@tanstack/react-query'
import { type FormEvent, useEffect, useState } from 'react'
import { api, qs, seg } from '../../api'
import { Link } from '../../components/Link'
import { StateBadge } from '../../components/StateBadge'
import { Empty, ErrorBox, Loading } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { navigate, useLocation } from '../../router'
import { NUMBER_STATES, type NumberItem, type Page } from '../../types'
import { NumberActions } from './NumberActions'

const PAGE = 50

export function NumbersPage() {
  const { query } = useLocation()
  const state = query.get('state') ?? ''
  const category = query.get('category') ?? ''
  const prefix = query.get('prefix') ?? ''
  const [prefixInput, setPrefixInput] = useState(prefix)
  useEffect(() => setPrefixInput(prefix), [prefix])

  const setFilter = (next: Record<string, string>) =>
    navigate(`/numbers${qs({ state, category, prefix, ...next })}`, { replace: true })

  const q = useInfiniteQuery({
    queryKey: ['numbers', { state, category, prefix }],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      api<Page<NumberItem>>(`/api/v1/numbers${qs({ state, category, prefix, limit: PAGE, after: pageParam })}`, {
        signal,
      }),
    getNextPageParam: (last) => last.next_after ?? null,
  })
  const items = q.data?.pages.flatMap((p) => p.items) ?? []
  const filtered = Boolean(state || category || prefix)

  return (
    <div className="page" data-testid="page-numbers">
      <h1>Numbers</h1>
      <form
        className="filters"
        onSubmit={(e: FormEvent) => {
          e.preventDefault()
          setFilter({ prefix: prefixInput.trim() })
        }}
      >
        <label className="field inline">
          <span className="field-label">State</span>
          <select
            value={state}
            onChange={(e) => setFilter({ state: e.target.value })}
            data-testid="numbers-filter-state"
          >
            <option value="">all</option>
            {NUMBER_STATES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span className="field-label">Category</span>
          <select
            value={category}
            onChange={(e) => setFilter({ category: e.target.value })}
            data-testid="numbers-filter-category"
          >
            <option value="">all</option>
            <option value="standard">standard</option>
            <option value="golden">golden</option>
          </select>
        </label>
        <label className="field inline">
          <span className="field-label">Starts with</span>
          <input
            className="mono"
            value={prefixInput}
            onChange={(e) => setPrefixInput(e.target.value)}
            placeholder="+85512"
            data-testid="numbers-filter-prefix"
          />
        </label>
        <button type="submit" className="btn">
          Filter
        </button>
        {filtered && (
          <button type="button" className="btn ghost" onClick={() => navigate('/numbers', { replace: true })}>
            Clear
          </button>
        )}
      </form>

      {q.isPending ? (
        <Loading what="Loading numbers" />
      ) : q.error && items.length === 0 ? (
        <ErrorBox error={q.error} title="Could not load numbers" onRetry={() => q.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={filtered ? 'No numbers match these filters' : 'No numbers yet'}>
          {filtered
            ? 'Change or clear the filters above.'
            : 'An inventory manager imports a number range on the Inventory page; its numbers then appear here.'}
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="numbers-table">
              <thead>
                <tr>
                  <th>MSISDN</th>
                  <th>State</th>
                  <th>Category</th>
                  <th>Since</th>
                  <th>Reservation</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((n) => (
                  <tr key={n.msisdn} data-testid="number-row" data-msisdn={n.msisdn}>
                    <td className="mono nowrap">
                      <Link to={`/numbers/${seg(n.msisdn)}`}>{n.msisdn}</Link>
                    </td>
                    <td>
                      <StateBadge state={n.state} testId="number-row-state" />
                    </td>
                    <td>{label(n.category)}</td>
                    <td className="nowrap">{fmtTime(n.state_changed_at)}</td>
                    <td className="nowrap">
                      {n.reserved_until ? (
                        <>
                          {n.reserved_by ?? '—'} until {fmtTime(n.reserved_until)}
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <NumberActions msisdn={n.msisdn} abilities={n.abilities} compact />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {q.error && <ErrorBox error={q.error} title="Could not load more numbers" />}
          <div className="table-foot">
            <span className="muted">{items.length} shown</span>
            {q.hasNextPage && (
              <button
                type="button"
                className="btn"
                disabled={q.isFetchingNextPage}
                onClick={() => q.fetchNextPage()}
                data-testid="numbers-more"
              >
                {q.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            )}
          </div>
        </>
      )}
    </div>
  )
}
