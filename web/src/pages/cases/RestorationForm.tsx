import { useState } from 'react'
import { seg } from '../../api'
import { Link } from '../../components/Link'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import type { Me } from '../../types'
import { RequestCard } from '../requests/RequestCard'
import type { RequestView } from '../requests/requestTypes'
import { type CaseDetail, useCaseChange } from './caseTypes'

const FIELDS = ['msisdn', 'rightful_custody_id', 'iccid', 'shop_id'] as const

/**
 * Files a restoration: the number back to the former holder whose custody the case names (the complainant's by
 * default), on a SIM checked in a shop. Another compliance officer, not the case owner, approves it on Requests.
 */
export function RestorationForm({ c, me, onCancel }: { c: CaseDetail; me: Me; onCancel: () => void }) {
  const [v, setV] = useState({
    msisdn: c.numbers[0] ?? '',
    rightful_custody_id: c.complainant?.custody_id ?? '',
    iccid: '',
    shop_id: me.staff.shop_id ?? c.opened_in_shop ?? '',
  })
  const [filed, setFiled] = useState<RequestView | null>(null)
  const file = useCaseChange<RequestView>(
    () => ({
      path: `/api/v1/cases/${seg(c.id)}/restoration`,
      body: Object.fromEntries(FIELDS.map((f) => [f, v[f].trim()])),
    }),
    setFiled,
  )
  const errs = fieldErrors(file.error, FIELDS)
  if (filed)
    return (
      <div data-testid="restoration-filed">
        <p className="ok-note">
          Restoration filed: another compliance officer (not the case owner) approves it on the{' '}
          <Link to="/requests">Requests</Link> page.
        </p>
        <RequestCard r={filed} />
      </div>
    )
  const set = (f: (typeof FIELDS)[number]) => (e: { target: { value: string } }) => setV({ ...v, [f]: e.target.value })
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        file.mutate()
      }}
      data-testid="restoration-form"
    >
      <h3>File a restoration</h3>
      <div className="form-grid">
        <Field label="Number" error={errs.of('msisdn')}>
          <input className="mono" value={v.msisdn} onChange={set('msisdn')} data-testid="restoration-msisdn" />
        </Field>
        <Field
          label="Rightful custody"
          error={errs.of('rightful_custody_id')}
          hint="The complainant’s custody, linked to the case"
        >
          <input
            className="mono"
            value={v.rightful_custody_id}
            onChange={set('rightful_custody_id')}
            data-testid="restoration-custody"
          />
        </Field>
        <Field label="ICCID of the SIM the holder has in hand" error={errs.of('iccid')}>
          <input
            className="mono"
            value={v.iccid}
            onChange={set('iccid')}
            maxLength={22}
            data-testid="restoration-iccid"
          />
        </Field>
        <Field label="Shop" error={errs.of('shop_id')} hint="Where the SIM is checked">
          <input value={v.shop_id} onChange={set('shop_id')} data-testid="restoration-shop" />
        </Field>
      </div>
      <div className="actions">
        <button
          type="submit"
          className="btn primary"
          disabled={FIELDS.some((f) => !v[f].trim()) || file.isPending}
          data-testid="restoration-submit"
        >
          File restoration
        </button>
        <button type="button" className="btn ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {file.error && <ErrorBox error={file.error} title="Restoration refused" atField={errs.inline} />}
    </form>
  )
}
