import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, qs } from '../../api'
import { Empty, ErrorBox, QueryView } from '../../components/Status'
import { fmtCount, fmtTime } from '../../format'

interface ReportSummary {
  month: string
  cutoff_on: string
  file_name: string
  file_sha256: string
  disconnections: number
  cancellations: number
  generated_at: string
}
interface Register {
  reports: ReportSummary[]
  unreported: number
  corrections_due: number
}
interface ReportFile extends ReportSummary {
  content: string
  created: boolean
}

function download(r: ReportFile) {
  const url = URL.createObjectURL(new Blob([r.content], { type: 'text/csv' }))
  const a = document.createElement('a')
  a.href = url
  a.download = r.file_name
  a.click()
  URL.revokeObjectURL(url)
}

/**
 * The permanent-disconnection register: monthly files after the US Reassigned Numbers Database convention (each
 * month's file carries the disconnections through its 10th that no earlier file carried, and cancellations of
 * reported ones that a reclaim undid). Compliance writes a file; auditors read them.
 */
export function DisconnectionsPage({ roles }: { roles: readonly string[] }) {
  const qc = useQueryClient()
  const [month, setMonth] = useState('')
  const register = useQuery({
    queryKey: ['reports', 'disconnections'],
    queryFn: ({ signal }) => api<Register>('/api/v1/reports/disconnections', { signal }),
  })
  const write = useMutation({
    mutationFn: () => api<ReportFile>('/api/v1/reports/disconnections', { method: 'POST', body: { month } }),
    onSuccess: (r) => {
      qc.invalidateQueries({ queryKey: ['reports'] })
      download(r)
    },
  })
  const fetchFile = useMutation({
    mutationFn: (m: string) => api<ReportFile>(`/api/v1/reports/disconnections${qs({ month: m })}`),
    onSuccess: download,
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    write.mutate()
  }
  return (
    <div className="page" data-testid="page-disconnections">
      <h1>Disconnection register</h1>
      <p className="muted">
        Each withdrawal is a permanent disconnection (number, date in Phnom Penh time). The file for a month is due by
        the 15th and carries the disconnections through the 10th that no earlier file carried; a number reclaimed after
        it was reported appears in the next file as a cancellation. A file is written once; asking again gives the same
        bytes.
      </p>
      <QueryView q={register} what="the register">
        {(r) => (
          <>
            <section className="card">
              <dl className="facts">
                <dt>Not yet in a file</dt>
                <dd data-testid="register-unreported">{fmtCount(r.unreported)} disconnection(s)</dd>
                <dt>Corrections due</dt>
                <dd>{fmtCount(r.corrections_due)} cancellation(s)</dd>
              </dl>
              {roles.includes('compliance_officer') && (
                <form className="form-row" onSubmit={submit}>
                  <input
                    type="month"
                    value={month}
                    onChange={(e) => setMonth(e.target.value)}
                    required
                    data-testid="report-month"
                  />
                  <button
                    type="submit"
                    className="btn primary"
                    disabled={!month || write.isPending}
                    data-testid="report-write"
                  >
                    Write the file
                  </button>
                </form>
              )}
              {write.error && <ErrorBox error={write.error} title="The file was not written" />}
            </section>
            {r.reports.length === 0 ? (
              <Empty title="No file written yet" />
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="reports-table">
                  <thead>
                    <tr>
                      <th>Month</th>
                      <th>Through</th>
                      <th>Disconnections</th>
                      <th>Cancellations</th>
                      <th>Written</th>
                      <th>SHA-256</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {r.reports.map((f) => (
                      <tr key={f.month}>
                        <td>{f.month}</td>
                        <td>{f.cutoff_on}</td>
                        <td>{fmtCount(f.disconnections)}</td>
                        <td>{fmtCount(f.cancellations)}</td>
                        <td className="nowrap">{fmtTime(f.generated_at)}</td>
                        <td>
                          <code className="hash">{f.file_sha256.slice(0, 16)}…</code>
                        </td>
                        <td>
                          <button type="button" className="btn small" onClick={() => fetchFile.mutate(f.month)}>
                            Download
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </QueryView>
    </div>
  )
}
