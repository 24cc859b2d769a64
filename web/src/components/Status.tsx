import type { ReactNode } from 'react'
import { ApiError } from '../api'
import { explain } from '../explain'

/**
 * Shows any error with its message and code; never leaves the page blank. With `atField` the form shows the message
 * next to the field it names, so the box only points there.
 */
export function ErrorBox({
  error,
  title,
  onRetry,
  atField,
}: {
  error: unknown
  title?: string
  onRetry?: () => void
  atField?: boolean
}) {
  const e = toApiError(error)
  const field = !atField && typeof e.details.field === 'string' ? e.details.field : null
  return (
    <div className="error-box" role="alert" data-testid="error" data-code={e.code}>
      <div className="error-title">{title ?? 'Something went wrong'}</div>
      <div className="error-message" data-testid="error-message">
        {atField ? 'Correct the field marked in red and submit again.' : e.message}
      </div>
      {explain(e.code) && <div className="error-hint">{explain(e.code)}</div>}
      <div className="error-meta">
        code <code data-testid="error-code">{e.code}</code>
        {e.status > 0 && <> · HTTP {e.status}</>}
        {field && (
          <>
            {' '}
            · field <code>{field}</code>
          </>
        )}
      </div>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  )
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (error instanceof Error) return new ApiError(0, 'client_error', error.message)
  return new ApiError(0, 'client_error', String(error))
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" data-testid="loading" aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      {what}…
    </div>
  )
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-hint">{children}</div>}
    </div>
  )
}

/** Renders a query's loading and error states, or its data through `children`. */
export function QueryView<T>({
  q,
  what,
  children,
}: {
  q: { isPending: boolean; error: unknown; data: T | undefined; refetch: () => unknown }
  what?: string
  children: (data: T) => ReactNode
}) {
  if (q.isPending) return <Loading what={what ? `Loading ${what}` : 'Loading'} />
  if (q.error || q.data === undefined)
    return (
      <ErrorBox
        error={q.error ?? new Error('No data')}
        title={what ? `Could not load ${what}` : undefined}
        onRetry={() => q.refetch()}
      />
    )
  return <>{children(q.data)}</>
}

/** A labelled control; `error` (from fieldErrors) is shown under it in place of the hint. */
export function Field({
  label,
  children,
  hint,
  error,
}: {
  label: string
  children: ReactNode
  hint?: ReactNode
  error?: string
}) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is passed in as children
    <label className={error ? 'field has-error' : 'field'}>
      <span className="field-label">{label}</span>
      {children}
      {error ? (
        <span className="field-error" role="alert" data-testid="field-error">
          {error}
        </span>
      ) : (
        hint && <span className="field-hint">{hint}</span>
      )}
    </label>
  )
}
