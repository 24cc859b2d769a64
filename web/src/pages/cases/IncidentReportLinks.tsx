import { seg } from '../../api'
import type { CaseSummary } from './caseTypes'

/**
 * The regulator's account of the case (GET /api/v1/reports/incident/:caseId, src/reports): the PDF to download and
 * the JSON behind it. Whoever reads cases reads reports (view_reports: compliance officers and auditors).
 */
export function IncidentReportLinks({ c }: { c: CaseSummary }) {
  const base = `/api/v1/reports/incident/${seg(c.reference)}`
  return (
    <p className="actions" data-testid="incident-report">
      <a
        className="btn"
        href={`${base}?format=pdf`}
        download={`numguard-incident-${c.reference}.pdf`}
        data-testid="incident-report-pdf"
      >
        Download incident report (PDF)
      </a>
      <a
        className="btn ghost"
        href={`${base}?format=json`}
        target="_blank"
        rel="noreferrer"
        data-testid="incident-report-json"
      >
        JSON
      </a>
    </p>
  )
}
