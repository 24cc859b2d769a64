import type { RequestStatus } from '../domain/requests.ts'
import { RequestExpiredError, RequestNotOpenError } from './errors.ts'
import type { RequestRecord } from './queries.ts'

/** Refuses a step on a request that is not in one of `open` statuses, or whose time ran out. */
export function refuseClosed(request: RequestRecord, now: Date, wanted: string, open: readonly RequestStatus[]): void {
  if (!open.includes(request.status)) throw new RequestNotOpenError(request.id, request.status, wanted)
  if (new Date(request.expires_at) <= now) throw new RequestExpiredError(request.id, new Date(request.expires_at))
}
