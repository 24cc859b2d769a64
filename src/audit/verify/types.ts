// What verifyBundle answers: every check it made, and the problems in the order the bundle is read (manifest and
// keys, checkpoints, then the leaves with the roots at their sizes), so failures[0] is the first thing that fails.

export interface VerifyOptions {
  /** The log's verifier key ("<name>+<key id>+<base64>"), or the path of a file holding it. */
  key: string
  /** A signed checkpoint note kept earlier (e.g. from a witness), or the path of a file holding it. */
  since?: string
  /**
   * Witness verifier keys the caller trusts (text or file paths). Without `requireCosignatures` each must have
   * cosigned a checkpoint; with it, they are the witnesses whose cosignatures count.
   */
  witnesses?: string[]
  /** The last checkpoint (the one that vouches for every leaf) must be cosigned by at least this many of `witnesses`. */
  requireCosignatures?: number
  /** Threads hashing and checking leaves (default: every core, or 1 for a small bundle; 1 runs on the calling thread). */
  threads?: number
  onProgress?: (progress: VerifyProgress) => void
}

export interface VerifyProgress {
  phase: 'checkpoints' | 'leaves' | 'done'
  leaves: number
  total: number
}

export interface VerifyProblem {
  /** Where: "manifest", "checkpoint size 500", "leaf 1234 (event …)", "leaves 0..499", "since", … */
  where: string
  message: string
  /** The leaf index, when one leaf is at fault. */
  index?: number
  eventId?: string
  /** The checkpoint size, when a checkpoint is at fault. */
  size?: number
}

export interface CheckpointSummary {
  size: number
  root: string
  /** Names of the witnesses whose cosignatures verified. */
  cosignedBy: string[]
  /** Whether the recomputed root at this size matched (undefined: the leaves did not reach it). */
  rootMatches?: boolean
}

export interface WitnessSummary {
  name: string
  keyId: string
  /** 'bundle': listed in witnesses.txt (the bundle vouches for itself); 'trusted': given by the caller. */
  source: 'bundle' | 'trusted'
  cosigned: number
  latestSize: number | null
}

/** Signature lines by keys neither the bundle nor the caller names: ignored, as C2SP signed-note requires, and counted. */
export interface UnknownSignature {
  name: string
  keyId: string
  /** How many checkpoints carry a line by this key. */
  checkpoints: number
}

export interface VerifyReport {
  ok: boolean
  dir: string
  origin: string | null
  key: { name: string; keyId: string } | null
  /** The size the manifest declares, and the leaves actually read. */
  size: number | null
  leaves: number
  checkpoints: CheckpointSummary[]
  witnesses: WitnessSummary[]
  unknownSignatures: UnknownSignature[]
  /** With `requireCosignatures`: how many, and the largest checkpoint cosigned by that many witnesses given. */
  cosignaturePolicy: { required: number; size: number | null } | null
  since: { size: number; root: string; consistent: boolean | null } | null
  rules: {
    staffLeaves: number
    signIns: number
    requestsExecuted: number
    withdrawals: number
    noticesEvidenced: number
  }
  failures: VerifyProblem[]
  /** Failures beyond the first MAX_PROBLEMS are counted, not kept. */
  moreFailures: number
  warnings: VerifyProblem[]
  moreWarnings: number
  threads: number
  seconds: number
}

export const MAX_PROBLEMS = 100

/** Collects problems in reading order, keeping the first MAX_PROBLEMS of each kind. */
export class Problems {
  readonly failures: VerifyProblem[] = []
  readonly warnings: VerifyProblem[] = []
  moreFailures = 0
  moreWarnings = 0

  fail(problem: VerifyProblem): void {
    if (this.failures.length < MAX_PROBLEMS) this.failures.push(problem)
    else this.moreFailures++
  }

  warn(problem: VerifyProblem): void {
    if (this.warnings.length < MAX_PROBLEMS) this.warnings.push(problem)
    else this.moreWarnings++
  }

  get failed(): boolean {
    return this.failures.length > 0
  }
}

export const leafWhere = (index: number, eventId?: string) =>
  eventId ? `leaf ${index} (event ${eventId})` : `leaf ${index}`

/** "where: message", the one line a person reads. */
export const problemText = (p: VerifyProblem) => `${p.where}: ${p.message}`
