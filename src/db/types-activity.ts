// Row types of activity ingestion (migrations 007); the owner of that feature keeps this file in step.
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature's migration
export interface ActivityTables {}
