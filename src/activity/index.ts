// Activity ingestion: what other features may use.
export { type FeedHealth, feedHealth, usageSince } from './health.ts'
export { type ActivityBatchInput, type ActivityBatchResult, ingestActivity } from './ingest.ts'
export { ACTIVITY_KINDS, type ActivityKind, MAX_BATCH_EVENTS, type RowOutcome } from './validate.ts'
