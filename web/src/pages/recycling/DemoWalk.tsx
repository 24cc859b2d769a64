import { useQueryClient } from '@tanstack/react-query'
import { useRef, useState } from 'react'
import { can } from '../../access'
import { api } from '../../api'
import { ErrorBox } from '../../components/Status'
import { fmtTime } from '../../format'
import { useMeta } from '../../session'

const WALKS = [1, 7, 30, 120]

/**
 * Demo: walk the clock forward a day at a time, so each day's warnings, suspensions, withdrawals and SMS happen on
 * that day and this page follows them live. Each day is one call; Stop ends the walk after the current day.
 */
export function DemoWalk({ roles }: { roles: readonly string[] }) {
  const meta = useMeta()
  const qc = useQueryClient()
  const [progress, setProgress] = useState<{ day: number; of: number } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const stop = useRef(false)
  if (!meta.data?.clock_movable || !can(roles, 'clock')) return null

  async function walk(days: number) {
    stop.current = false
    setError(null)
    try {
      for (let day = 1; day <= days && !stop.current; day++) {
        setProgress({ day, of: days })
        await api('/api/v1/demo/clock/advance', { method: 'POST', body: { by: '1d' } })
        await qc.invalidateQueries()
      }
    } catch (e) {
      setError(e)
    } finally {
      setProgress(null)
    }
  }

  return (
    <section className="card demo-walk" data-testid="demo-walk">
      <div className="card-head">
        <h2>Demo clock</h2>
        <span className="mono" data-testid="demo-walk-now">
          {fmtTime(meta.data.now)}
        </span>
      </div>
      <div className="actions">
        {WALKS.map((d) => (
          <button
            key={d}
            type="button"
            className="btn"
            disabled={progress !== null}
            onClick={() => walk(d)}
            data-testid={`walk-${d}`}
          >
            +{d} {d === 1 ? 'day' : 'days'}
          </button>
        ))}
        {progress && (
          <>
            <span data-testid="walk-progress">
              day {progress.day} of {progress.of}…
            </span>
            <button type="button" className="btn ghost" onClick={() => (stop.current = true)} data-testid="walk-stop">
              Stop
            </button>
          </>
        )}
      </div>
      {error !== null && <ErrorBox error={error} title="The clock stopped" />}
    </section>
  )
}
