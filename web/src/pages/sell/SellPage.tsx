import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { StateBadge } from '../../components/StateBadge'
import { Empty, ErrorBox, QueryView } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import type { Me, NumberDetail } from '../../types'
import { ExistingSubscriberFields } from './ExistingSubscriberFields'
import { SimPicker } from './SimPicker'
import { EMPTY_SUBSCRIBER, type NewSubscriber, SubscriberFields } from './SubscriberFields'

interface SellResult {
  msisdn: string
  state: 'active'
  custody_id: string
  subscriber_id: string
  iccid: string
}

/** The fields of the sale a 400 may name; the server's message is shown next to the one it names. */
const SELL_FIELDS = [
  'iccid',
  'subscriber_id',
  'kyc_doc_number',
  ...['party_kind', 'account_type', 'name', 'kyc_doc_kind', 'kyc_doc_number', 'language', 'alt_contact'].map(
    (f) => `subscriber.${f}`,
  ),
]

export function SellPage({ msisdn, me }: { msisdn: string; me: Me }) {
  const qc = useQueryClient()
  const num = useQuery({
    queryKey: ['number', msisdn],
    queryFn: ({ signal }) => api<NumberDetail>(`/api/v1/numbers/${seg(msisdn)}`, { signal }),
  })
  const [iccid, setIccid] = useState('')
  const [who, setWho] = useState<'new' | 'existing'>('new')
  const [subscriberId, setSubscriberId] = useState('')
  const [kycDocNumber, setKycDocNumber] = useState('')
  const [sub, setSub] = useState<NewSubscriber>(EMPTY_SUBSCRIBER)

  const sell = useMutation({
    mutationFn: () => {
      const { alt_contact, ...rest } = sub
      const subscriber = alt_contact.trim() ? { ...rest, alt_contact: alt_contact.trim() } : rest
      const body =
        who === 'existing'
          ? { iccid, subscriber_id: subscriberId.trim(), kyc_doc_number: kycDocNumber.trim() }
          : { iccid, subscriber }
      return api<SellResult>(`/api/v1/numbers/${seg(msisdn)}/sell`, { method: 'POST', body })
    },
    onSettled: () => {
      qc.invalidateQueries({ queryKey: ['number', msisdn] })
      qc.invalidateQueries({ queryKey: ['numbers'] })
      qc.invalidateQueries({ queryKey: ['sims'] })
      qc.invalidateQueries({ queryKey: ['stats'] })
    },
  })
  const errs = fieldErrors(sell.error, SELL_FIELDS)

  function submit(e: FormEvent) {
    e.preventDefault()
    sell.mutate()
  }

  return (
    <div className="page" data-testid="page-sell">
      <p className="crumbs">
        <Link to="/numbers">Numbers</Link> /{' '}
        <Link to={`/numbers/${seg(msisdn)}`} className="mono">
          {msisdn}
        </Link>{' '}
        / sell
      </p>
      <h1>
        Sell <span className="mono">{msisdn}</span>
      </h1>
      {sell.data ? (
        <section className="card success" data-testid="sell-success">
          <h2>Sold</h2>
          <p>
            <span className="mono">{sell.data.msisdn}</span> is now <StateBadge state={sell.data.state} /> on SIM{' '}
            <span className="mono">{sell.data.iccid}</span>.
          </p>
          <p className="muted">
            Custody <code>{sell.data.custody_id}</code> · subscriber{' '}
            <Link to={`/subscribers/${seg(sell.data.subscriber_id)}`}>{sell.data.subscriber_id}</Link>
          </p>
          <Link to={`/numbers/${seg(sell.data.msisdn)}`} className="btn primary">
            Open the number
          </Link>
        </section>
      ) : (
        <QueryView q={num} what={`number ${msisdn}`}>
          {(n) =>
            !me.staff.shop_id ? (
              <Empty title="You are not attached to a shop">
                Numbers are sold from a shop with its SIM stock. Ask an administrator to set your shop.
              </Empty>
            ) : (
              <form className="card" onSubmit={submit} data-testid="sell-form">
                <p>
                  Current state <StateBadge state={n.state} testId="number-state" />
                  {n.reservation && <span className="muted"> · reserved by {n.reservation.by}</span>}
                </p>
                {!n.abilities.sell && (
                  <p className="warn-note" data-testid="sell-not-allowed">
                    The server reports that this number cannot be sold by you now; submitting will be refused.
                  </p>
                )}
                <h2>SIM</h2>
                <SimPicker shopId={me.staff.shop_id} value={iccid} onChange={setIccid} error={errs.of('iccid')} />
                <h2>Subscriber</h2>
                <div className="segmented" role="radiogroup">
                  <label>
                    <input
                      type="radio"
                      checked={who === 'new'}
                      onChange={() => setWho('new')}
                      data-testid="sell-new-subscriber"
                    />{' '}
                    New subscriber
                  </label>
                  <label>
                    <input
                      type="radio"
                      checked={who === 'existing'}
                      onChange={() => setWho('existing')}
                      data-testid="sell-existing-subscriber"
                    />{' '}
                    Existing subscriber
                  </label>
                </div>
                {who === 'existing' ? (
                  <ExistingSubscriberFields
                    subscriberId={subscriberId}
                    onSubscriberId={setSubscriberId}
                    kycDocNumber={kycDocNumber}
                    onKycDocNumber={setKycDocNumber}
                    errorOf={errs.of}
                  />
                ) : (
                  <SubscriberFields value={sub} onChange={setSub} errorOf={errs.of} />
                )}
                {sell.error && <ErrorBox error={sell.error} title="Sale refused" atField={errs.inline} />}
                <div className="actions">
                  <button
                    type="submit"
                    className="btn primary"
                    disabled={sell.isPending || !iccid}
                    data-testid="sell-submit"
                  >
                    {sell.isPending ? 'Selling…' : 'Sell number'}
                  </button>
                  <Link to={`/numbers/${seg(msisdn)}`} className="btn ghost">
                    Cancel
                  </Link>
                </div>
              </form>
            )
          }
        </QueryView>
      )}
    </div>
  )
}
