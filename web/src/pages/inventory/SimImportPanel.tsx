import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { fmtCount } from '../../format'

const EXAMPLE = 'iccid,imsi\n8985501000000000001,456010000000001'

export function SimImportPanel() {
  const qc = useQueryClient()
  const [csv, setCsv] = useState('')
  const imp = useMutation({
    mutationFn: () =>
      api<{ imported: number; input_sha256: string }>('/api/v1/sims/import', { method: 'POST', body: { csv } }),
    onSuccess: () => {
      setCsv('')
      qc.invalidateQueries({ queryKey: ['sims'] })
    },
  })
  const errs = fieldErrors(imp.error, ['csv'])
  const rows = csv.trim() ? csv.trim().split(/\r?\n/).length - 1 : 0
  return (
    <section className="card" data-testid="sim-import-panel">
      <h2>Import SIM stock</h2>
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault()
          imp.mutate()
        }}
      >
        <Field
          label="CSV with a header line iccid,imsi"
          hint={rows > 0 ? `${rows} data line(s)` : 'Paste the supplier file here.'}
          error={errs.of('csv')}
        >
          <textarea
            className="mono"
            rows={8}
            value={csv}
            onChange={(e) => setCsv(e.target.value)}
            placeholder={EXAMPLE}
            required
            aria-invalid={errs.of('csv') ? true : undefined}
            data-testid="sim-import-csv"
          />
        </Field>
        <button
          type="submit"
          className="btn primary"
          disabled={imp.isPending || !csv.trim()}
          data-testid="sim-import-submit"
        >
          {imp.isPending ? 'Importing…' : 'Import SIMs'}
        </button>
      </form>
      {imp.error && <ErrorBox error={imp.error} title="SIMs not imported" atField={errs.inline} />}
      {imp.data && (
        <p className="ok-note" data-testid="sim-import-ok">
          Imported {fmtCount(imp.data.imported)} SIMs. Input SHA-256{' '}
          <code className="hash">{imp.data.input_sha256}</code>
        </p>
      )}
    </section>
  )
}
