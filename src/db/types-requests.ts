// Row types of request workflows beyond the core tables (migrations 010+); the owner of that feature keeps this file in step.
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature's migration
export interface RequestTables {}
