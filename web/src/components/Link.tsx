import type { AnchorHTMLAttributes, MouseEvent } from 'react'
import { navigate } from '../router'

type Props = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }

/** An <a> that navigates inside the console without reloading (modifier-clicks open a new tab as usual). */
export function Link({ to, onClick, ...rest }: Props) {
  function handle(e: MouseEvent<HTMLAnchorElement>) {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return <a href={to} onClick={handle} {...rest} />
}
