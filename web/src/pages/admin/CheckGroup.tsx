/** A group of checkboxes (roles, scopes) with a legend and the server's message for the group, if any. */
export function CheckGroup({
  legend,
  options,
  value,
  onChange,
  error,
  hint,
  testId,
}: {
  legend: string
  options: readonly { id: string; hint: string }[]
  value: string[]
  onChange: (v: string[]) => void
  error?: string
  hint?: string
  testId: string
}) {
  const toggle = (id: string, on: boolean) => onChange(on ? [...value, id] : value.filter((v) => v !== id))
  return (
    <fieldset className={error ? 'field check-group has-error' : 'field check-group'} data-testid={testId}>
      <legend className="field-label">{legend}</legend>
      <div className="checks">
        {options.map((o) => (
          <label key={o.id} title={o.hint}>
            <input
              type="checkbox"
              checked={value.includes(o.id)}
              onChange={(e) => toggle(o.id, e.target.checked)}
              aria-invalid={error ? true : undefined}
              data-testid={`${testId}-${o.id}`}
            />
            <span>
              <span className="mono">{o.id}</span> <span className="muted">{o.hint}</span>
            </span>
          </label>
        ))}
      </div>
      {error ? (
        <span className="field-error" role="alert" data-testid="field-error">
          {error}
        </span>
      ) : (
        hint && <span className="field-hint">{hint}</span>
      )}
    </fieldset>
  )
}
