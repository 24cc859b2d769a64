// Wires cases into the request workflow: restorations and hold releases execute here (filed by their own routes).
import { registerRequestExecutor } from '../requests/index.ts'
import { executeHoldRelease } from './holds.ts'
import { executeRestoration } from './restoration.ts'

export function registerCaseExecutors(): void {
  registerRequestExecutor('restoration', {
    execute: executeRestoration,
    dedicatedRoute: 'POST /api/v1/cases/{id}/restoration',
  })
  registerRequestExecutor('hold_release', {
    execute: executeHoldRelease,
    dedicatedRoute: 'POST /api/v1/holds/{id}/release',
  })
}
