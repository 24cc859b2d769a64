import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import '../../styles-recycling.css'
import { type FormEvent, useEffect, useRef, useState } from 'react'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { ErrorBox, QueryView } from '../../components/Status'
import { fmtTime } from '../../format'
import { navigate } from '../../router'

interface Inbox {
  msisdn: string
  short_code: string | null
  messages: { id: string; from: string; text: string; parts: number; received_at: string }[]
}

/**
 * Demo: the holder's phone. What the embedded SMSC delivered to this number, newest at the bottom like a phone,
 * and a box to answer (STATUS, NO, YES <code>…), sent to numguard as an MO message.
 */
export function PhonePage({ msisdn }: { msisdn?: string }) {
  const [other, setOther] = useState(msisdn ?? '')
  const [text, setText] = useState('')
  const qc = useQueryClient()
  const q = useQuery({
    queryKey: ['phone', msisdn],
    queryFn: ({ signal }) => api<Inbox>(`/api/v1/demo/sms/inbox/${seg(msisdn ?? '')}`, { signal }),
    enabled: Boolean(msisdn),
    refetchInterval: 2_000,
  })
  const reply = useMutation({
    mutationFn: () => api('/api/v1/demo/sms/reply', { method: 'POST', body: { from: msisdn, text: text.trim() } }),
    onSuccess: () => {
      setText('')
      setTimeout(() => qc.invalidateQueries({ queryKey: ['phone', msisdn] }), 800)
    },
  })
  // Like a phone: the newest message is at the bottom, in view.
  const screen = useRef<HTMLDivElement>(null)
  const count = q.data?.messages.length ?? 0
  useEffect(() => {
    if (count > 0) screen.current?.scrollTo({ top: screen.current.scrollHeight })
  }, [count])
  const open = (e: FormEvent) => {
    e.preventDefault()
    if (other.trim()) navigate(`/phone/${seg(other.trim())}`)
  }
  const send = (e: FormEvent) => {
    e.preventDefault()
    if (text.trim()) reply.mutate()
  }
  return (
    <div className="page" data-testid="page-phone">
      <h1>Phone</h1>
      <p className="muted">
        Demo: the SMS a phone received from numguard through the embedded SMSC, and its replies.
        {msisdn && (
          <>
            {' '}
            <Link to={`/numbers/${seg(msisdn)}`}>Open the number</Link>.
          </>
        )}
      </p>
      <form className="form-row" onSubmit={open}>
        <input
          className="mono"
          value={other}
          onChange={(e) => setOther(e.target.value)}
          placeholder="+855…"
          data-testid="phone-number"
        />
        <button type="submit" className="btn">
          Show this phone
        </button>
      </form>
      {msisdn && (
        <div className="phone" data-testid="phone">
          <div className="phone-top mono">{msisdn}</div>
          <QueryView q={q} what="the inbox">
            {(inbox) => (
              <div className="phone-screen" ref={screen} data-testid="phone-inbox">
                {inbox.messages.length === 0 ? (
                  <p className="muted phone-empty">No messages.</p>
                ) : (
                  inbox.messages.map((m) => (
                    <div key={m.id} className="bubble" data-testid="phone-message">
                      <div className="bubble-from">{m.from}</div>
                      <div className="bubble-text" lang={/[\u1780-\u17FF]/.test(m.text) ? 'km' : 'en'}>
                        {m.text}
                      </div>
                      <div className="bubble-time">{fmtTime(m.received_at)}</div>
                    </div>
                  ))
                )}
              </div>
            )}
          </QueryView>
          <form className="phone-reply" onSubmit={send}>
            <input
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="Reply: STATUS, NO, YES 123456…"
              maxLength={320}
              data-testid="phone-reply-text"
            />
            <button
              type="submit"
              className="btn primary"
              disabled={reply.isPending || !text.trim()}
              data-testid="phone-reply-send"
            >
              Send
            </button>
          </form>
          {reply.error && <ErrorBox error={reply.error} title="The reply did not go out" />}
        </div>
      )}
    </div>
  )
}
