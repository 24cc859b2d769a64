import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { adminKeys, type CreatedMachineClient, SCOPES } from './adminTypes'
import { CheckGroup } from './CheckGroup'
import { SecretBox } from './SecretBox'

const PATTERNS = { id: 'Use 2 to 64 lowercase letters, digits, dots, dashes or underscores.' }

/** Registers a machine client (POST /api/v1/machine-clients) and shows its secret once. */
export function ClientForm() {
  const qc = useQueryClient()
  const [id, setId] = useState('')
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<string[]>([])
  const create = useMutation({
    mutationFn: () =>
      api<CreatedMachineClient>('/api/v1/machine-clients', {
        method: 'POST',
        body: { id: id.trim(), name: name.trim(), scopes },
      }),
    onSuccess: () => {
      setId('')
      setName('')
      setScopes([])
      qc.invalidateQueries({ queryKey: adminKeys.clients })
    },
  })
  const errs = fieldErrors(create.error, ['id', 'name', 'scopes'], { patterns: PATTERNS })
  const edit =
    <T,>(f: (v: T) => void) =>
    (v: T) => {
      f(v)
      if (create.error) create.reset()
    }
  const secret = create.data ? (create.data.client_secret ?? create.data.secret) : undefined

  if (create.data && secret)
    return <SecretBox clientId={create.data.id} secret={secret} onDone={() => create.reset()} />

  return (
    <form
      className="card"
      onSubmit={(e: FormEvent) => {
        e.preventDefault()
        create.mutate()
      }}
      data-testid="admin-create-client"
    >
      <h2>Register a machine client</h2>
      <div className="form-grid">
        <Field label="Client id" hint="Used as client_id at /oauth/token; it cannot change." error={errs.of('id')}>
          <input
            className="mono"
            value={id}
            onChange={(e) => edit(setId)(e.target.value)}
            required
            autoComplete="off"
            aria-invalid={errs.of('id') ? true : undefined}
            data-testid="admin-client-id"
          />
        </Field>
        <Field label="Name" hint="The system it stands for, e.g. Charging system." error={errs.of('name')}>
          <input
            value={name}
            onChange={(e) => edit(setName)(e.target.value)}
            required
            aria-invalid={errs.of('name') ? true : undefined}
            data-testid="admin-client-name"
          />
        </Field>
      </div>
      <CheckGroup
        legend="Scopes"
        options={SCOPES}
        value={scopes}
        onChange={edit(setScopes)}
        error={errs.of('scopes')}
        hint="Give only what the system needs."
        testId="admin-client-scopes"
      />
      {create.error && <ErrorBox error={create.error} title="Client not registered" atField={errs.inline} />}
      {create.data && !secret && (
        <p className="warn-note">The client was registered but the answer carried no secret; register another.</p>
      )}
      <button
        type="submit"
        className="btn primary"
        disabled={create.isPending || scopes.length === 0}
        data-testid="admin-client-submit"
      >
        {create.isPending ? 'Registering…' : 'Register client'}
      </button>
    </form>
  )
}
