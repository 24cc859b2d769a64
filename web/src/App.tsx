import { type ReactNode, useEffect } from 'react'
import { can } from './access'
import { ErrorBoundary } from './components/ErrorBoundary'
import { Layout } from './components/Layout'
import { Link } from './components/Link'
import { Empty, ErrorBox, Loading, toApiError } from './components/Status'
import { SignInPage } from './pages/signin/SignInPage'
import { match, navigate, useLocation } from './router'
import { ROUTES } from './routes'
import { useMe } from './session'

export function App() {
  const { path } = useLocation()
  const onSignIn = path === '/sign-in'
  const me = useMe(!onSignIn)
  // A session still waiting for its TOTP code is not signed in yet: it finishes on the sign-in page.
  const waitingForCode = !onSignIn && (me.data?.session.mfa === 'pending' || me.data?.session.mfa === 'enrolment')
  useEffect(() => {
    if (waitingForCode) navigate(`/sign-in?next=${encodeURIComponent(path)}`, { replace: true })
  }, [waitingForCode, path])

  if (onSignIn)
    return (
      <ErrorBoundary resetKey={path}>
        <SignInPage />
      </ErrorBoundary>
    )
  if (me.isPending)
    return (
      <div className="center-page">
        <Loading what="Opening the console" />
      </div>
    )
  if (waitingForCode) {
    return (
      <div className="center-page">
        <Loading what="Taking you to sign-in" />
      </div>
    )
  }
  if (me.error || !me.data) {
    const e = toApiError(me.error)
    if (e.status === 401)
      return (
        <div className="center-page">
          <Loading what="Taking you to sign-in" />
        </div>
      )
    return (
      <div className="center-page">
        <ErrorBox error={e} title="Could not open the console" onRetry={() => me.refetch()} />
        <p>
          <Link to="/sign-in">Go to sign-in</Link>
        </p>
      </div>
    )
  }

  let content: ReactNode = (
    <Empty title="Page not found">
      There is no page at <code>{path}</code>. Use the menu, or <Link to="/">go to the dashboard</Link>.
    </Empty>
  )
  for (const r of ROUTES) {
    const params = match(r.pattern, path)
    if (!params) continue
    content =
      r.area && !can(me.data.staff.roles, r.area) ? (
        <Empty title="Not available for your roles">
          This page needs a role you do not hold ({me.data.staff.roles.join(', ') || 'none'}).{' '}
          <Link to="/">Back to the dashboard</Link>.
        </Empty>
      ) : (
        r.render(params, me.data)
      )
    break
  }

  return (
    <Layout me={me.data}>
      <ErrorBoundary resetKey={path}>{content}</ErrorBoundary>
    </Layout>
  )
}
