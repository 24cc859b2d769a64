import { Field } from '../../components/Status'

/** Selling to a subscriber on record: their id and the document number the customer presents. */
export function ExistingSubscriberFields({
  subscriberId,
  onSubscriberId,
  kycDocNumber,
  onKycDocNumber,
  errorOf,
}: {
  subscriberId: string
  onSubscriberId: (v: string) => void
  kycDocNumber: string
  onKycDocNumber: (v: string) => void
  errorOf: (field: string) => string | undefined
}) {
  return (
    <>
      <Field
        label="Subscriber id"
        hint="Find it with the lookup box, after authenticating the customer."
        error={errorOf('subscriber_id')}
      >
        <input
          className="mono"
          value={subscriberId}
          onChange={(e) => onSubscriberId(e.target.value)}
          required
          aria-invalid={errorOf('subscriber_id') ? true : undefined}
          data-testid="sell-subscriber-id"
        />
      </Field>
      <Field
        label="ID document number"
        hint="Type it from the document the customer presents; it must match the one on record."
        error={errorOf('kyc_doc_number')}
      >
        <input
          className="mono"
          value={kycDocNumber}
          onChange={(e) => onKycDocNumber(e.target.value)}
          required
          minLength={4}
          maxLength={60}
          autoComplete="off"
          aria-invalid={errorOf('kyc_doc_number') ? true : undefined}
          data-testid="sell-kyc-doc-number"
        />
      </Field>
    </>
  )
}
