import { useState } from 'react'
import { ExistingSubscriberFields } from '../sell/ExistingSubscriberFields'
import { SimPicker } from '../sell/SimPicker'
import { EMPTY_SUBSCRIBER, type NewSubscriber, SubscriberFields } from '../sell/SubscriberFields'
import { ChangeForm } from './ChangeForm'
import type { FiledChange } from './changeTypes'

const FIELDS = [
  'iccid',
  'new_subscriber_id',
  'new_holder_doc_number',
  ...Object.keys(EMPTY_SUBSCRIBER).map((k) => `new_subscriber.${k}`),
]

/** A transfer to a new holder: the new holder's ID here, a new SIM of the shop; the holder agrees by SMS. */
export function TransferForm({
  msisdn,
  shopId,
  onDone,
  onCancel,
}: {
  msisdn: string
  shopId: string
  onDone: (r: FiledChange) => void
  onCancel: () => void
}) {
  const [iccid, setIccid] = useState('')
  const [existing, setExisting] = useState(false)
  const [subscriber, setSubscriber] = useState<NewSubscriber>(EMPTY_SUBSCRIBER)
  const [subscriberId, setSubscriberId] = useState('')
  const [doc, setDoc] = useState('')
  const body = () => {
    if (existing) return { iccid, new_subscriber_id: subscriberId.trim(), new_holder_doc_number: doc.trim() }
    const { alt_contact, ...rest } = subscriber
    return { iccid, new_subscriber: { ...rest, ...(alt_contact.trim() ? { alt_contact: alt_contact.trim() } : {}) } }
  }
  return (
    <ChangeForm<FiledChange>
      msisdn={msisdn}
      path="transfer"
      title="Transfer to a new holder"
      intro={
        <>
          The new holder shows their ID here. The current holder is sent a code and agrees only by replying from their
          phone; a supervisor of another shop approves; it executes 24 h later unless the holder replies NO.
        </>
      }
      fields={FIELDS}
      submitLabel="File transfer"
      ready={iccid !== ''}
      body={body}
      onDone={onDone}
      onCancel={onCancel}
    >
      {(errs) => {
        // The sale form's fields speak of `subscriber.*`; this route names them `new_subscriber.*`.
        const newHolderError = (f: string) => errs.of(f.replace(/^subscriber\./, 'new_subscriber.'))
        return (
          <>
            <SimPicker shopId={shopId} value={iccid} onChange={setIccid} error={errs.of('iccid')} />
            <div className="segmented">
              <label>
                <input type="radio" checked={!existing} onChange={() => setExisting(false)} /> New subscriber
              </label>
              <label>
                <input type="radio" checked={existing} onChange={() => setExisting(true)} /> Subscriber on record
              </label>
            </div>
            {existing ? (
              <ExistingSubscriberFields
                subscriberId={subscriberId}
                onSubscriberId={setSubscriberId}
                kycDocNumber={doc}
                onKycDocNumber={setDoc}
                errorOf={(f) => errs.of(f === 'subscriber_id' ? 'new_subscriber_id' : 'new_holder_doc_number')}
              />
            ) : (
              <SubscriberFields value={subscriber} onChange={setSubscriber} errorOf={newHolderError} />
            )}
          </>
        )
      }}
    </ChangeForm>
  )
}
