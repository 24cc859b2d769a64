import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, seg } from '../../api'
import { ErrorBox, Field, QueryView } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { RequestCard } from '../requests/RequestCard'
import type { CycleView, RequestView } from '../requests/requestTypes'
import { fmtDay } from '../requests/requestTypes'

/** The requests on a number (open ones first) and, for an agent while the number ages, the reclaim form. */
export function NumberRequests({ msisdn }: { msisdn: string }) {
  const requests = useQuery({
    queryKey: ['number', msisdn, 'requests'],
    queryFn: ({ signal }) => api<{ items: RequestView[] }>(`/api/v1/numbers/${seg(msisdn)}/requests`, { signal }),
  })
  const recycling = useQuery({
    queryKey: ['number', msisdn, 'recycling'],
    queryFn: ({ signal }) =>
      api<{ cycle: CycleView | null; abilities: { reclaim: boolean } }>(`/api/v1/numbers/${seg(msisdn)}/recycling`, {
        signal,
      }),
  })
  const open = requests.data?.items.some((r) => r.status === 'pending' || r.status === 'approved') ?? false
  return (
    <section className="card" data-testid="number-requests">
      <h2>Requests</h2>
      {recycling.data?.abilities.reclaim && !open && (
        <ReclaimForm msisdn={msisdn} until={recycling.data.cycle?.reclaim_until ?? null} />
      )}
      <QueryView q={requests} what="requests">
        {(data) =>
          data.items.length === 0 ? (
            <p className="muted">No requests on this number.</p>
          ) : (
            <div className="panel-stack">
              {data.items.map((r) => (
                <RequestCard key={r.id} r={r} />
              ))}
            </div>
          )
        }
      </QueryView>
    </section>
  )
}

function ReclaimForm({ msisdn, until }: { msisdn: string; until: string | null }) {
  const qc = useQueryClient()
  const [doc, setDoc] = useState('')
  const [iccid, setIccid] = useState('')
  const [shown, setShown] = useState(false)
  const file = useMutation({
    mutationFn: () =>
      api<RequestView>(`/api/v1/numbers/${seg(msisdn)}/reclaim`, {
        method: 'POST',
        body: { kyc_doc_number: doc.trim(), ...(iccid.trim() ? { iccid: iccid.trim() } : {}) },
      }),
    onSuccess: () => {
      setDoc('')
      qc.invalidateQueries({ queryKey: ['number', msisdn] })
      qc.invalidateQueries({ queryKey: ['requests'] })
    },
  })
  const errs = fieldErrors(file.error, ['kyc_doc_number', 'iccid'], { codeFields: { sim_required: 'iccid' } })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    file.mutate()
  }
  if (!shown)
    return (
      <div className="actions">
        <button type="button" className="btn primary" onClick={() => setShown(true)} data-testid="reclaim-button">
          Reclaim for the former holder
        </button>
        <span className="muted">The former holder may reclaim it until {fmtDay(until)}, in a shop, with their ID.</span>
      </div>
    )
  return (
    <form className="reclaim-form" onSubmit={submit} data-testid="reclaim-form">
      <p>
        The former holder stands in front of you with their identity document. Its number must match the one on record;
        a supervisor of another shop then approves, and you execute.
      </p>
      <div className="form-row">
        <Field label="ID document number" error={errs.of('kyc_doc_number')}>
          <input
            className="mono"
            value={doc}
            onChange={(e) => setDoc(e.target.value)}
            required
            autoComplete="off"
            maxLength={60}
            data-testid="reclaim-doc"
          />
        </Field>
        <Field
          label="New SIM (ICCID, optional)"
          hint="Only if their former SIM is lost or taken"
          error={errs.of('iccid')}
        >
          <input
            className="mono"
            value={iccid}
            onChange={(e) => setIccid(e.target.value)}
            data-testid="reclaim-iccid"
          />
        </Field>
        <button
          type="submit"
          className="btn primary"
          disabled={file.isPending || !doc.trim()}
          data-testid="reclaim-submit"
        >
          {file.isPending ? 'Filing…' : 'File reclaim'}
        </button>
        <button type="button" className="btn ghost" onClick={() => setShown(false)}>
          Cancel
        </button>
      </div>
      {file.error && <ErrorBox error={file.error} title="Reclaim refused" atField={errs.inline} />}
    </form>
  )
}
