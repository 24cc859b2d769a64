import { useState } from 'react'
import { Field } from '../../components/Status'
import { SimPicker } from '../sell/SimPicker'
import { ChangeForm } from './ChangeForm'
import type { FiledChange } from './changeTypes'

/**
 * A SIM swap to a new SIM of the shop. With the SIM: the holder agrees by SMS (their ID only if they locked swaps).
 * Lost or stolen: the holder's ID here, a supervisor of another shop, 24 h wait, notices to number and contact.
 */
export function SwapForm({
  msisdn,
  shopId,
  lost,
  onDone,
  onCancel,
}: {
  msisdn: string
  shopId: string
  lost: boolean
  onDone: (r: FiledChange) => void
  onCancel: () => void
}) {
  const [iccid, setIccid] = useState('')
  const [doc, setDoc] = useState('')
  return (
    <ChangeForm<FiledChange>
      msisdn={msisdn}
      path={lost ? 'sim-swap-lost' : 'sim-swap'}
      title={lost ? 'SIM swap (lost/stolen)' : 'SIM swap (customer has SIM)'}
      intro={
        lost
          ? 'The holder shows their ID here. A supervisor of another shop approves; the swap waits 24 h, and the holder is told on their number and alternate contact (a NO stops it).'
          : 'The holder is sent a code on the phone in their hand and agrees by replying YES <code>; the swap then happens at once.'
      }
      fields={['iccid', 'kyc_doc_number']}
      submitLabel="File SIM swap"
      ready={iccid !== '' && (!lost || doc.trim() !== '')}
      body={() => ({ iccid, ...(doc.trim() ? { kyc_doc_number: doc.trim() } : {}) })}
      onDone={onDone}
      onCancel={onCancel}
    >
      {(errs) => (
        <>
          <SimPicker shopId={shopId} value={iccid} onChange={setIccid} error={errs.of('iccid')} />
          <Field
            label={lost ? "Holder's ID document number" : "Holder's ID document number (only if swaps are locked)"}
            hint="Typed from the document the holder presents; it must match the one on record."
            error={errs.of('kyc_doc_number')}
          >
            <input
              className="mono"
              value={doc}
              onChange={(e) => setDoc(e.target.value)}
              required={lost}
              maxLength={60}
              autoComplete="off"
              data-testid="swap-doc"
            />
          </Field>
        </>
      )}
    </ChangeForm>
  )
}
