import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api, seg } from '../../api'
import { ErrorBox } from '../../components/Status'
import { adminKeys, ROLES, SHOP_ROLES, type StaffAccount, useShops } from './adminTypes'
import { CheckGroup } from './CheckGroup'

type Open = 'suspend' | 'roles' | 'reset' | null

/**
 * What the caller may do about one account, from the abilities the server sent with it: a compliance officer
 * suspends (at once); an admin asks for roles or a credential reset (requests a compliance officer approves).
 */
export function StaffActions({ s }: { s: StaffAccount }) {
  const qc = useQueryClient()
  const shops = useShops()
  const [open, setOpen] = useState<Open>(null)
  const [reason, setReason] = useState('')
  const [roles, setRoles] = useState<string[]>(s.roles)
  const [shop, setShop] = useState(s.shop_id ?? '')
  const a = s.abilities
  const act = useMutation({
    mutationFn: (step: { path: string; body: unknown }) =>
      api(`/api/v1/staff/${seg(s.id)}/${step.path}`, { method: 'POST', body: step.body }),
    onSuccess: () => {
      setOpen(null)
      setReason('')
      qc.invalidateQueries({ queryKey: adminKeys.staff })
      qc.invalidateQueries({ queryKey: ['admin', 'staff-requests'] })
    },
  })
  if (!a || (!a.suspend && !a.request_role_grant && !a.request_credential_reset)) return null

  function submit(e: FormEvent) {
    e.preventDefault()
    if (open === 'suspend') act.mutate({ path: 'suspend', body: { reason } })
    if (open === 'reset') act.mutate({ path: 'credential-resets', body: { reason } })
    if (open === 'roles')
      act.mutate({ path: 'role-grants', body: { roles, shop_id: shop || null, ...(reason ? { reason } : {}) } })
  }
  const toggle = (what: Open) => {
    act.reset()
    setOpen(open === what ? null : what)
  }

  return (
    <div className="staff-actions" data-testid="staff-actions">
      <div className="btn-row">
        {a.suspend && (
          <button type="button" className="btn small" onClick={() => toggle('suspend')} data-testid="staff-suspend">
            Suspend…
          </button>
        )}
        {a.request_role_grant && (
          <button type="button" className="btn small" onClick={() => toggle('roles')} data-testid="staff-roles">
            Request roles…
          </button>
        )}
        {a.request_credential_reset && (
          <button type="button" className="btn small" onClick={() => toggle('reset')} data-testid="staff-reset">
            Request credential reset…
          </button>
        )}
      </div>
      {open && (
        <form className="inline-form" onSubmit={submit}>
          {open === 'suspend' && (
            <p className="hint">
              At once: their sessions end, their open requests are cancelled and their approvals voided. Final in this
              release.
            </p>
          )}
          {open === 'roles' && (
            <>
              <CheckGroup
                legend="Roles (the whole set)"
                options={ROLES}
                value={roles}
                onChange={setRoles}
                testId="staff-roles-check"
              />
              {roles.some((r) => SHOP_ROLES.includes(r)) && (
                <select value={shop} onChange={(e) => setShop(e.target.value)} aria-label="Shop">
                  <option value="">Choose a shop</option>
                  {shops.data?.items.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.name}
                    </option>
                  ))}
                </select>
              )}
              <p className="hint">A compliance officer approves; then execute it below. New approvers wait 7 days.</p>
            </>
          )}
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder={open === 'roles' ? 'Why (optional)' : 'Why (required)'}
            required={open !== 'roles'}
            minLength={3}
            maxLength={500}
            aria-label="Reason"
            data-testid="staff-action-reason"
          />
          <button
            type="submit"
            className="btn primary small"
            disabled={act.isPending}
            data-testid="staff-action-submit"
          >
            {open === 'suspend' ? 'Suspend now' : 'File the request'}
          </button>
          {act.error !== null && <ErrorBox error={act.error} title="Refused" />}
        </form>
      )}
    </div>
  )
}
