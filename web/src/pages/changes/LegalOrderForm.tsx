import { useState } from 'react'
import { Field } from '../../components/Status'
import { ChangeForm } from './ChangeForm'
import type { FiledChange } from './changeTypes'

/** SHA-256 of a file, in hex, computed here: the order document itself never leaves the browser. */
async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer())
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** A compliance officer files a legal-order withdrawal; another compliance officer approves. */
export function LegalOrderForm({
  msisdn,
  onDone,
  onCancel,
}: {
  msisdn: string
  onDone: (r: FiledChange) => void
  onCancel: () => void
}) {
  const [reference, setReference] = useState('')
  const [sha, setSha] = useState('')
  const [hashing, setHashing] = useState<string | null>(null)
  const [hashError, setHashError] = useState<string | null>(null)
  const [forbidsNotice, setForbidsNotice] = useState(false)
  const choose = async (file: File | undefined) => {
    setSha('')
    setHashError(null)
    if (!file) return
    setHashing(file.name)
    try {
      setSha(await sha256Hex(file))
    } catch (e) {
      setHashError(`Could not read ${file.name}: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      setHashing(null)
    }
  }
  return (
    <ChangeForm<FiledChange>
      msisdn={msisdn}
      path="legal-order"
      title="Legal order"
      intro="The record keeps the order's reference and the SHA-256 of its document. Another compliance officer approves; the holder is told and the withdrawal waits 7 days, unless the order forbids notice."
      fields={['order_reference', 'order_sha256', 'forbids_notice']}
      submitLabel="File legal order"
      ready={reference.trim() !== '' && sha !== ''}
      body={() => ({ order_reference: reference.trim(), order_sha256: sha, forbids_notice: forbidsNotice })}
      onDone={onDone}
      onCancel={onCancel}
    >
      {(errs) => (
        <>
          <Field label="Order reference" error={errs.of('order_reference')}>
            <input
              value={reference}
              onChange={(e) => setReference(e.target.value)}
              required
              maxLength={200}
              data-testid="legal-reference"
            />
          </Field>
          <Field
            label="Order document"
            hint="Its SHA-256 is computed in this browser; the file is not uploaded."
            error={hashError ?? errs.of('order_sha256')}
          >
            <input type="file" onChange={(e) => choose(e.target.files?.[0])} data-testid="legal-file" />
          </Field>
          <p className="muted" data-testid="legal-sha">
            {hashing ? `Computing the SHA-256 of ${hashing}…` : sha ? <code className="hash">{sha}</code> : null}
          </p>
          <label className="check">
            <input type="checkbox" checked={forbidsNotice} onChange={(e) => setForbidsNotice(e.target.checked)} /> The
            order forbids notice (no SMS to the holder, no wait)
          </label>
        </>
      )}
    </ChangeForm>
  )
}
