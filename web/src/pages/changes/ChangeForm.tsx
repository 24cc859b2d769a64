import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { FormEvent, ReactNode } from 'react'
import { api, seg } from '../../api'
import { ErrorBox } from '../../components/Status'
import { type FieldErrors, fieldErrors } from '../../fieldErrors'

/**
 * One change's small form: posts `body()` to /api/v1/numbers/:msisdn/<path> and hands the answer to `onDone`.
 * Field messages from the server show next to the field they name (`fields`, full paths).
 */
export function ChangeForm<T>({
  msisdn,
  path,
  title,
  intro,
  fields,
  submitLabel,
  ready = true,
  body,
  onDone,
  onCancel,
  children,
}: {
  msisdn: string
  path: string
  title: string
  intro: ReactNode
  fields: readonly string[]
  submitLabel: string
  ready?: boolean
  body: () => unknown
  onDone: (result: T) => void
  onCancel: () => void
  children: (errs: FieldErrors) => ReactNode
}) {
  const qc = useQueryClient()
  const file = useMutation({
    mutationFn: () => api<T>(`/api/v1/numbers/${seg(msisdn)}/${path}`, { method: 'POST', body: body() }),
    onSuccess: (result) => {
      qc.invalidateQueries({ queryKey: ['number', msisdn] })
      qc.invalidateQueries({ queryKey: ['requests'] })
      onDone(result)
    },
  })
  const errs = fieldErrors(file.error, fields)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    file.mutate()
  }
  return (
    <form className="card change-form" onSubmit={submit} data-testid={`change-form-${path}`}>
      <h3>{title}</h3>
      <p className="muted">{intro}</p>
      {children(errs)}
      <div className="actions">
        <button type="submit" className="btn primary" disabled={file.isPending || !ready} data-testid="change-submit">
          {file.isPending ? 'Filing…' : submitLabel}
        </button>
        <button type="button" className="btn ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {file.error && <ErrorBox error={file.error} title={`${title}: refused`} atField={errs.inline} />}
    </form>
  )
}
