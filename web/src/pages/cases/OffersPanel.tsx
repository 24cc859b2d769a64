import { useState } from 'react'
import { seg } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { fmtTime, label } from '../../format'
import { type CaseDetail, type CaseOffer, useCaseChange } from './caseTypes'

function offerText(o: CaseOffer): string {
  return o.kind === 'money' ? `${Number(o.amount).toLocaleString('en')} ${o.currency}` : `service credit: ${o.credit}`
}

function RecordResponse({ offer }: { offer: CaseOffer }) {
  const respond = useCaseChange<unknown, string>((response) => ({
    path: `/api/v1/offers/${seg(offer.id)}/response`,
    body: { response },
  }))
  return (
    <span className="actions">
      {(['accepted', 'declined', 'no_answer'] as const).map((r) => (
        <button
          key={r}
          type="button"
          className="btn small"
          disabled={respond.isPending}
          onClick={() => respond.mutate(r)}
          data-testid={`offer-response-${r}`}
        >
          {label(r)}
        </button>
      ))}
      {respond.error && <ErrorBox error={respond.error} title="Answer not recorded" />}
    </span>
  )
}

function OfferForm({ c }: { c: CaseDetail }) {
  const [kind, setKind] = useState<'money' | 'service_credit'>('money')
  const [amount, setAmount] = useState('')
  const [currency, setCurrency] = useState('USD')
  const [credit, setCredit] = useState('')
  const offer = useCaseChange(
    () => ({
      path: `/api/v1/cases/${seg(c.id)}/offers`,
      body:
        kind === 'money'
          ? { kind, amount: Number(amount), currency: currency.trim().toUpperCase() }
          : { kind, credit: credit.trim() },
    }),
    () => {
      setAmount('')
      setCredit('')
    },
  )
  const errs = fieldErrors(offer.error, ['amount', 'currency', 'credit'])
  const ready = kind === 'money' ? Number(amount) > 0 && /^[A-Za-z]{3}$/.test(currency.trim()) : credit.trim() !== ''
  return (
    <form
      className="form-row"
      onSubmit={(e) => {
        e.preventDefault()
        offer.mutate()
      }}
      data-testid="offer-form"
    >
      <Field label="Offer">
        <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} data-testid="offer-kind">
          <option value="money">Money</option>
          <option value="service_credit">Service credit</option>
        </select>
      </Field>
      {kind === 'money' ? (
        <>
          <Field label="Amount" error={errs.of('amount')}>
            <input
              type="number"
              min="0"
              step="0.01"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              data-testid="offer-amount"
            />
          </Field>
          <Field label="Currency" error={errs.of('currency')}>
            <input
              value={currency}
              onChange={(e) => setCurrency(e.target.value)}
              maxLength={3}
              size={4}
              data-testid="offer-currency"
            />
          </Field>
        </>
      ) : (
        <Field label="What is credited" error={errs.of('credit')}>
          <input
            value={credit}
            onChange={(e) => setCredit(e.target.value)}
            maxLength={500}
            data-testid="offer-credit"
          />
        </Field>
      )}
      <button type="submit" className="btn primary" disabled={!ready || offer.isPending} data-testid="offer-submit">
        Record offer
      </button>
      {offer.error && <ErrorBox error={offer.error} title="Offer not recorded" atField={errs.inline} />}
    </form>
  )
}

/** Compensation offers, each with who offered it, when, and the complainant's answer (recorded once). */
export function OffersPanel({ c, manage, who }: { c: CaseDetail; manage: boolean; who: (id: string) => string }) {
  return (
    <section className="card" data-testid="case-offers">
      <h2>Compensation</h2>
      {c.compensation_offers.length === 0 ? (
        <p className="muted">No offer made yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Offer</th>
              <th>Offered</th>
              <th>Answer</th>
            </tr>
          </thead>
          <tbody>
            {c.compensation_offers.map((o) => (
              <tr key={o.id} data-testid="case-offer" data-response={o.response ?? 'none'}>
                <td>{offerText(o)}</td>
                <td>
                  {fmtTime(o.offered_at)} by {who(o.offered_by)}
                </td>
                <td>
                  {o.response ? (
                    <>
                      <strong>{label(o.response)}</strong> <span className="muted">{fmtTime(o.responded_at)}</span>
                    </>
                  ) : manage ? (
                    <RecordResponse offer={o} />
                  ) : (
                    <span className="muted">no answer recorded</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage && c.status !== 'closed' && <OfferForm c={c} />}
    </section>
  )
}
