// Row types of the tamper-evident audit log (migrations 020+); the owner of that feature keeps this file in step.
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature's migration
export interface AuditLogTables {}
