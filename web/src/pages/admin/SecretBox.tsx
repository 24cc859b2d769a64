import { useState } from 'react'

/** A new machine client's secret, shown this once: copy it now, the server keeps only its hash. */
export function SecretBox({ clientId, secret, onDone }: { clientId: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret)
      setCopied('yes')
    } catch {
      setCopied('failed')
    }
  }

  return (
    <section className="secret-box" role="alert" data-testid="admin-client-secret">
      <h2>Secret of {clientId}: copy it now</h2>
      <p>
        <strong>It will not be shown again.</strong> numguard stores only a hash of it. Give it to the system that signs
        in as <span className="mono">{clientId}</span> (OAuth2 client credentials at <code>/oauth/token</code>) through
        a secure channel.
      </p>
      <div className="secret-value">
        <code data-testid="admin-client-secret-value">{secret}</code>
        <button type="button" className="btn primary" onClick={copy} data-testid="admin-client-secret-copy">
          {copied === 'yes' ? 'Copied ✓' : 'Copy'}
        </button>
      </div>
      {copied === 'failed' && (
        <p className="hint">The browser did not allow copying: select the secret above and copy it by hand.</p>
      )}
      <button type="button" className="btn ghost" onClick={onDone} data-testid="admin-client-secret-done">
        I have stored the secret — hide it
      </button>
    </section>
  )
}
