// The offline audit verifier (issue 5, item 5): depends on Node and src/audit/tlog only.
export { canonicalJson, isCanonical } from './canonical.ts'
export { formatReport } from './report.ts'
export type { VerifyOptions, VerifyProblem, VerifyProgress, VerifyReport } from './types.ts'
export { problemText } from './types.ts'
export { verifyBundle } from './verify-bundle.ts'
