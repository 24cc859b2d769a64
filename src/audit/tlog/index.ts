// The transparency-log core: pure, node:crypto only, so the offline verifier can ship it alone.
export * from './checkpoint.ts'
export * from './errors.ts'
export * from './hash.ts'
export * from './keys.ts'
export * from './merkle.ts'
export * from './note.ts'
