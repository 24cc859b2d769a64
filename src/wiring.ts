// The one place features plug into the request workflow and the SMS replies: every executable request kind's
// executor and every reply keyword's handler. openApp runs it (server, worker and CLI alike), so no process depends
// on which routes it happened to import; buildServer runs it too, for test apps built without openApp.

import { registerCaseExecutors } from './cases/index.ts'
import { registerChangeExecutors } from './changes/index.ts'
import { statusWithPartnerChecks } from './partner/index.ts'
import { executeReclaim, registerPolicyExecutor } from './recycling/index.ts'
import { registerRequestExecutor } from './requests/index.ts'
import { registerMoHandler } from './sms/index.ts'
import { registerStaffRequestExecutors } from './staff/index.ts'

let wired = false

export function wireFeatures(): void {
  if (wired) return
  wired = true
  registerRequestExecutor('reclaim', {
    execute: executeReclaim,
    dedicatedRoute: 'POST /api/v1/numbers/{msisdn}/reclaim',
  })
  registerChangeExecutors()
  registerCaseExecutors()
  registerStaffRequestExecutors()
  registerPolicyExecutor()
  registerMoHandler('STATUS', statusWithPartnerChecks, 'status')
}
