import { useState } from 'react'
import { seg } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { fmtTime, label } from '../../format'
import { useCaseAnalysis } from './AnalysisPanel'
import { type CaseDetail, CONCLUSIONS, MEASURE_KINDS, useCaseChange } from './caseTypes'

type Named = { staff_id: string; suspend: boolean }
type Measure = { key: number; kind: (typeof MEASURE_KINDS)[number]; description: string }

/**
 * Records the findings in one step: the conclusion, the text, the staff they name (each linked to the case, and
 * suspended at once where ticked) and the measures taken. The case is then resolved.
 */
function FindingsForm({ c }: { c: CaseDetail }) {
  const analysis = useCaseAnalysis(c.id)
  const [conclusion, setConclusion] = useState<(typeof CONCLUSIONS)[number]>('staff_misconduct')
  const [text, setText] = useState('')
  const [named, setNamed] = useState<Named[]>([])
  const [measures, setMeasures] = useState<Measure[]>([])
  const record = useCaseChange(() => ({
    path: `/api/v1/cases/${seg(c.id)}/findings`,
    body: {
      conclusion,
      findings: text.trim(),
      staff: named,
      measures: measures
        .filter((m) => m.description.trim())
        .map((m) => ({ kind: m.kind, description: m.description.trim() })),
    },
  }))
  const errs = fieldErrors(record.error, ['conclusion', 'findings', 'staff'])
  const candidates = (analysis.data?.staff ?? []).map((s) => s.staff)
  const pick = (id: string, on: boolean) =>
    setNamed(on ? [...named, { staff_id: id, suspend: false }] : named.filter((n) => n.staff_id !== id))
  const suspend = (id: string, on: boolean) =>
    setNamed(named.map((n) => (n.staff_id === id ? { ...n, suspend: on } : n)))
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        record.mutate()
      }}
      data-testid="findings-form"
    >
      <h3>Record findings</h3>
      <Field label="Conclusion" error={errs.of('conclusion')}>
        <select
          value={conclusion}
          onChange={(e) => setConclusion(e.target.value as typeof conclusion)}
          data-testid="findings-conclusion"
        >
          {CONCLUSIONS.map((k) => (
            <option key={k} value={k}>
              {label(k)}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Findings" error={errs.of('findings')}>
        <textarea
          rows={4}
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={8000}
          data-testid="findings-text"
        />
      </Field>
      <Field
        label="Staff the findings name"
        error={errs.of('staff')}
        hint="From the analysis ranking; ticking suspend starts their suspension now"
      >
        <div className="checks">
          {candidates.length === 0 && <span className="muted">The analysis names nobody.</span>}
          {candidates.map((s) => {
            const n = named.find((x) => x.staff_id === s.id)
            return (
              <span key={s.id} data-testid="findings-staff" data-username={s.username}>
                <label>
                  <input
                    type="checkbox"
                    checked={!!n}
                    onChange={(e) => pick(s.id, e.target.checked)}
                    data-testid="findings-staff-name"
                  />{' '}
                  {s.display_name || s.username} <span className="muted">({s.roles.map(label).join(', ')})</span>
                </label>
                {n && (
                  <label>
                    <input
                      type="checkbox"
                      checked={n.suspend}
                      onChange={(e) => suspend(s.id, e.target.checked)}
                      data-testid="findings-staff-suspend"
                    />{' '}
                    suspend
                  </label>
                )}
              </span>
            )
          })}
        </div>
      </Field>
      <h3>Measures taken</h3>
      {measures.map((m, i) => (
        <div className="form-row" key={m.key} data-testid="findings-measure">
          <Field label="Kind">
            <select
              value={m.kind}
              onChange={(e) =>
                setMeasures(measures.map((x, j) => (j === i ? { ...x, kind: e.target.value as Measure['kind'] } : x)))
              }
            >
              {MEASURE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {label(k)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="What was done">
            <input
              value={m.description}
              maxLength={2000}
              onChange={(e) =>
                setMeasures(measures.map((x, j) => (j === i ? { ...x, description: e.target.value } : x)))
              }
            />
          </Field>
          <button type="button" className="btn ghost" onClick={() => setMeasures(measures.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <div className="actions">
        <button
          type="button"
          className="btn"
          onClick={() => setMeasures([...measures, { key: Date.now(), kind: 'process_change', description: '' }])}
          data-testid="findings-add-measure"
        >
          Add a measure
        </button>
        <button
          type="submit"
          className="btn primary"
          disabled={text.trim().length < 3 || record.isPending}
          data-testid="findings-submit"
        >
          Record findings and resolve
        </button>
      </div>
      {record.error && <ErrorBox error={record.error} title="Findings not recorded" atField={errs.inline} />}
    </form>
  )
}

export function FindingsPanel({ c, manage, who }: { c: CaseDetail; manage: boolean; who: (id: string) => string }) {
  const done = c.status === 'resolved' || c.status === 'closed'
  return (
    <section className="card" data-testid="case-findings">
      <h2>Findings</h2>
      {c.conclusion ? (
        <>
          <p>
            <strong data-testid="case-conclusion">{label(c.conclusion)}</strong>{' '}
            <span className="muted">resolved {fmtTime(c.resolved_at)}</span>
          </p>
          <p className="pre-wrap">{c.findings}</p>
        </>
      ) : (
        <p className="muted">No findings yet.</p>
      )}
      {c.measures.length > 0 && (
        <ul data-testid="case-measures">
          {c.measures.map((m, i) => (
            <li key={m.id ?? i}>
              {label(m.kind)}: {m.description}
              {m.staff_id && <span className="muted"> ({who(m.staff_id)})</span>}
            </li>
          ))}
        </ul>
      )}
      {manage && !done && <FindingsForm c={c} />}
    </section>
  )
}
