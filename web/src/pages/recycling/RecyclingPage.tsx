import { useQuery } from '@tanstack/react-query'
import '../../styles-recycling.css'
import { lazy, Suspense } from 'react'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty, Loading, QueryView } from '../../components/Status'
import { fmtCount, fmtTime, label } from '../../format'
import { type CycleView, fmtDay, type GroupKey, type RecyclingOverview, stepLabel } from '../requests/requestTypes'
import { DemoWalk } from './DemoWalk'
import { GROUPS } from './groups'

const RecyclingChart = lazy(() => import('./RecyclingChart'))

function NumberList({ items, group }: { items: CycleView[]; group: GroupKey }) {
  if (items.length === 0) return <p className="muted">None.</p>
  return (
    <ul className="cycle-list" data-testid={`recycling-list-${group}`}>
      {items.map((v) => (
        <li key={v.custody_id} data-msisdn={v.msisdn}>
          <Link to={`/numbers/${seg(v.msisdn)}`} className="mono">
            {v.msisdn}
          </Link>{' '}
          {group === 'aging' ? (
            <span className="muted">reclaim until {fmtDay(v.reclaim_until)}</span>
          ) : (
            <span className="muted">
              day {v.day_of_cycle}
              {v.waiting_reason ? ` · ${label(v.waiting_reason)}` : ''} · next: {stepLabel(v.next)} {fmtDay(v.next.on)}
            </span>
          )}{' '}
          <Link to={`/phone/${seg(v.msisdn)}`} className="phone-link" title="What this phone received">
            phone
          </Link>
        </li>
      ))}
    </ul>
  )
}

/** Prepaid numbers by recycling stage: how many, which come next, and why any withdrawal waits. */
export function RecyclingPage({ roles }: { roles: readonly string[] }) {
  const q = useQuery({
    queryKey: ['recycling', 'overview'],
    queryFn: ({ signal }) => api<RecyclingOverview>('/api/v1/recycling/overview', { signal }),
    refetchInterval: 5_000,
  })
  return (
    <div className="page" data-testid="page-recycling">
      <h1>Recycling</h1>
      <p className="muted">
        A prepaid number stays with its holder for 90 days after the last top-up; the holder is warned by SMS on days
        60, 75 and 85, barred from outgoing calls on day 60, and the number is withdrawn on day 90 only with every
        warning delivered, no recent usage and a healthy charging feed. It then ages, reclaimable, before it returns.
      </p>
      <DemoWalk roles={roles} />
      <QueryView q={q} what="the recycling overview">
        {(o) => (
          <>
            <section className="card">
              <div className="card-head">
                <h2>Prepaid numbers by stage</h2>
                <span className="muted">as of {fmtTime(o.now)}</span>
              </div>
              <div className="stage-tiles">
                {GROUPS.map((g) => (
                  <div
                    key={g.key}
                    className="stage-tile"
                    style={{ borderTopColor: g.color }}
                    data-testid={`stage-${g.key}`}
                  >
                    <div className="stat-figure">{fmtCount(o.counts[g.key])}</div>
                    <div>{g.label}</div>
                    <div className="muted small">{g.explain}</div>
                  </div>
                ))}
                <div className="stage-tile due" data-testid="stage-due_soon">
                  <div className="stat-figure">{fmtCount(o.counts.due_soon)}</div>
                  <div>Due within 7 days</div>
                  <div className="muted small">withdrawal day within a week</div>
                </div>
              </div>
              <Suspense fallback={<Loading what="Drawing the chart" />}>
                <RecyclingChart counts={o.counts} />
              </Suspense>
              {Object.keys(o.waiting_reasons).length > 0 && (
                <p className="warn-note" data-testid="waiting-reasons">
                  Waiting:{' '}
                  {Object.entries(o.waiting_reasons)
                    .map(([reason, n]) => `${label(reason)} (${n})`)
                    .join(', ')}
                </p>
              )}
            </section>
            {o.lists ? (
              <div className="grid recycling-grid">
                {[{ key: 'due_soon' as const, label: 'Due soon', color: '#c0392b' }, ...GROUPS].map((g) => (
                  <section key={g.key} className="card">
                    <h2>
                      <span className="dot" style={{ background: g.color }} /> {g.label}
                    </h2>
                    <NumberList items={o.lists?.[g.key] ?? []} group={g.key} />
                  </section>
                ))}
              </div>
            ) : (
              // Invariant 10: which number is where in its holder's cycle is their account; this role sees counts.
              <p className="muted" data-testid="recycling-lists-withheld">
                {o.lists_withheld?.message ?? 'The numbers in each stage are not shown to your role.'}
              </p>
            )}
            {Object.values(o.counts).every((n) => n === 0) && (
              <Empty title="No prepaid number is in a cycle">Numbers enter recycling when they are sold.</Empty>
            )}
          </>
        )}
      </QueryView>
    </div>
  )
}
