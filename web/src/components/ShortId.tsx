import { shortId } from '../format'

/** A long id (UUID, hash, ICCID) in monospace, shortened; the full value is in the tooltip and copied by selection. */
export function ShortId({ value, testId }: { value: string; testId?: string }) {
  const short = shortId(value)
  return (
    <code className="short-id" title={short === value ? undefined : value} data-testid={testId} data-full={value}>
      {short}
    </code>
  )
}
