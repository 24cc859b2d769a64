// The request workflow (four eyes): what other features may use.
export { cancelRequest, expireRequest } from './closing.ts'
export { approveRequest, createRequest, type NewRequest, rejectRequest } from './commands.ts'
export { type Execution, executeRequest } from './execute.ts'
export { type ExecutionResult, type RequestExecutor, registerRequestExecutor } from './executors.ts'
export { payloadSha256 } from './payload.ts'
export { approverCandidates, findRequest, listRequests, type RequestRecord } from './queries.ts'
