// What executing a request of each kind does. Features register their kinds from src/wiring.ts (which openApp runs);
// a kind with no executor cannot execute. Executors run inside executeRequest's transaction, after the request row
// has become 'executed' (so custody triggers see an executed request as the ground they rest on).
import type { AuditReceipt, CommandContext } from '../audit/index.ts'
import type { RequestKind } from '../domain/requests.ts'
import type { RequestRecord } from './queries.ts'

export interface ExecutionResult {
  /** Stored on the request as its outcome and returned to the caller. */
  outcome: Record<string, unknown>
  receipts: AuditReceipt[]
}

export type RequestExecutor = (ctx: CommandContext, request: RequestRecord) => Promise<ExecutionResult>

export interface ExecutorRegistration {
  execute: RequestExecutor
  /**
   * Kinds created through a command of their own (reclaim: with its ID check) are refused by the generic
   * `POST /api/v1/requests`, so the checks of their command cannot be stepped around.
   */
  dedicatedRoute?: string
  /**
   * Checks that must hold before the request row becomes 'executed' (consents recorded, a lock still off…); a kind
   * that needs the holder's code consent executes only with one.
   */
  beforeExecute?: (ctx: CommandContext, request: RequestRecord) => Promise<void>
}

const executors = new Map<RequestKind, ExecutorRegistration>()

export function registerRequestExecutor(kind: RequestKind, registration: ExecutorRegistration): void {
  executors.set(kind, registration)
}

export function executorFor(kind: RequestKind): ExecutorRegistration | undefined {
  return executors.get(kind)
}
