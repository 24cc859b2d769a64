import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { adminKeys, ROLES, SHOP_ROLES, type StaffAccount, useShops } from './adminTypes'
import { CheckGroup } from './CheckGroup'

const FIELDS = ['username', 'display_name', 'roles', 'shop_id', 'password']
const PATTERNS = {
  username: 'Use 2 to 64 lowercase letters, digits, dots, dashes or underscores.',
  shop_id: 'Choose one of the shops.',
}
const EMPTY = { username: '', display_name: '', roles: [] as string[], shop_id: '', password: '' }

/** Creates a staff account (POST /api/v1/staff); 400/409 answers are shown at the field they name. */
export function StaffForm() {
  const qc = useQueryClient()
  const shops = useShops()
  const [v, setV] = useState(EMPTY)
  const create = useMutation({
    mutationFn: () =>
      api<StaffAccount>('/api/v1/staff', {
        method: 'POST',
        body: {
          username: v.username.trim(),
          display_name: v.display_name.trim(),
          roles: v.roles,
          ...(v.shop_id ? { shop_id: v.shop_id } : {}),
          password: v.password,
        },
      }),
    onSuccess: () => {
      setV(EMPTY)
      qc.invalidateQueries({ queryKey: adminKeys.staff })
    },
  })
  const set = <K extends keyof typeof EMPTY>(k: K, value: (typeof EMPTY)[K]) => {
    setV({ ...v, [k]: value })
    if (create.error) create.reset()
  }
  const errs = fieldErrors(create.error, FIELDS, { patterns: PATTERNS })
  const needsShop = v.roles.some((r) => SHOP_ROLES.includes(r))

  function submit(e: FormEvent) {
    e.preventDefault()
    create.mutate()
  }

  return (
    <form className="card" onSubmit={submit} data-testid="admin-create-staff">
      <h2>Create a staff account</h2>
      <div className="form-grid">
        <Field label="Username" hint="Lowercase letters, digits, . _ -" error={errs.of('username')}>
          <input
            className="mono"
            value={v.username}
            onChange={(e) => set('username', e.target.value)}
            required
            autoComplete="off"
            aria-invalid={errs.of('username') ? true : undefined}
            data-testid="admin-staff-username"
          />
        </Field>
        <Field label="Display name" error={errs.of('display_name')}>
          <input
            value={v.display_name}
            onChange={(e) => set('display_name', e.target.value)}
            required
            aria-invalid={errs.of('display_name') ? true : undefined}
            data-testid="admin-staff-display-name"
          />
        </Field>
        <Field
          label={needsShop ? 'Shop (required for agents and supervisors)' : 'Shop (optional)'}
          error={errs.of('shop_id')}
        >
          <select
            value={v.shop_id}
            onChange={(e) => set('shop_id', e.target.value)}
            required={needsShop}
            aria-invalid={errs.of('shop_id') ? true : undefined}
            data-testid="admin-staff-shop"
          >
            <option value="">{needsShop ? 'Choose a shop…' : 'No shop'}</option>
            {shops.data?.items.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.id})
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Initial password"
          hint="At least 12 characters; tell it to the person privately."
          error={errs.of('password')}
        >
          <input
            type="password"
            value={v.password}
            onChange={(e) => set('password', e.target.value)}
            required
            minLength={12}
            autoComplete="new-password"
            aria-invalid={errs.of('password') ? true : undefined}
            data-testid="admin-staff-password"
          />
        </Field>
      </div>
      <CheckGroup
        legend="Roles"
        options={ROLES}
        value={v.roles}
        onChange={(roles) => set('roles', roles)}
        error={errs.of('roles')}
        hint="Asked for, not granted: the account starts without roles until a compliance officer approves the role grant. An admin holds no role that acts on numbers."
        testId="admin-staff-roles"
      />
      {create.error && <ErrorBox error={create.error} title="Account not created" atField={errs.inline} />}
      {create.data && (
        <p className="ok-note" data-testid="admin-staff-created">
          Created <strong className="mono">{create.data.username}</strong>
          {create.data.shop_id ? ` at ${create.data.shop_id}` : ''}, without roles yet
          {create.data.role_grant_request ? ": the role grant waits for a compliance officer's approval" : ''}. They
          sign in with the password you set.
        </p>
      )}
      <div className="actions">
        <button
          type="submit"
          className="btn primary"
          disabled={create.isPending || v.roles.length === 0}
          data-testid="admin-staff-submit"
        >
          {create.isPending ? 'Creating…' : 'Create account'}
        </button>
      </div>
    </form>
  )
}
