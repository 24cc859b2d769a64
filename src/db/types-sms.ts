// Row types of SMS notices, parts, receipts and MO messages (migrations 009); the owner of that feature keeps this file in step.
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature's migration
export interface SmsTables {}
