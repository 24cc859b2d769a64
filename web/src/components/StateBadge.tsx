import { label } from '../format'

/** A coloured badge for a number state (or SIM state, alert severity). Colours live in styles.css. */
export function StateBadge({
  state,
  kind = 'state',
  testId,
}: {
  state: string
  kind?: 'state' | 'sim' | 'severity'
  testId?: string
}) {
  return (
    <span className={`badge ${kind}-${state}`} data-testid={testId} data-state={state}>
      {label(state)}
    </span>
  )
}
