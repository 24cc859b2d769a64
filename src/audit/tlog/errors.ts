// Plain errors (no dependency on src/domain) so the offline verifier can ship the core alone.
export class ProofError extends Error {
  readonly code = 'proof_invalid'
  constructor(message: string) {
    super(message)
    this.name = 'ProofError'
  }
}

export class NoteError extends Error {
  readonly code = 'note_invalid'
  constructor(message: string) {
    super(message)
    this.name = 'NoteError'
  }
}
