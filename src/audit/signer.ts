// The log's signer: the only code that holds the Ed25519 key (loaded from a file outside the database). It signs a
// checkpoint only after checking it is consistent with the last checkpoint it (or the database) signed.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import { DEFAULT_LOG_ORIGIN, DEMO_LOG_KEY_FILE, readSignerKeyFile } from './log-config.ts'
import { openCheckpoint } from './tlog/checkpoint.ts'
import { parseSignerKey, verifierKeyOf } from './tlog/keys.ts'
import { verifyConsistency } from './tlog/merkle.ts'
import { formatCheckpoint, signNote } from './tlog/note.ts'
import { currentHead, proveConsistency, recomputeRoot, type TreeHead } from './tree-store.ts'

/** The signer refused: the tree it was asked to sign does not extend what it signed before. */
export class SignerRefusal extends Error {
  readonly code = 'checkpoint_refused'
}

/** The log's key was made for another origin than the one configured: its checkpoints would name a log it is not. */
export class SignerOriginError extends Error {
  readonly code = 'signer_origin_mismatch'
}

/**
 * Why `origin` is not the origin the key was made for, if it is not. `numguard audit keygen ORIGIN` names the key
 * after its origin (C2SP tlog-checkpoint: the key name SHOULD match the origin line), so a witness or verifier
 * that takes the origin from the key name agrees with what is signed.
 */
export function originMismatch(keyFile: string, keyName: string, origin: string): string | undefined {
  if (keyName === origin) return undefined
  return (
    `the audit log key ${keyFile} was made for the origin "${keyName}", not "${origin}": set ` +
    `NUMGUARD_LOG_ORIGIN=${keyName}, or make a key for "${origin}" with \`numguard audit keygen ${origin}\``
  )
}

export interface LogSigner {
  origin: string
  /** The verifier key to publish (public-key.txt of a bundle). */
  vkey: string
  keyName: string
  isDemoKey: boolean
  /** The last checkpoint this process signed or checked: a database that forgets it is caught. */
  lastSigned?: TreeHead
  sign(body: string): string
}

export function loadSigner(options: { keyFile?: string; origin?: string }): LogSigner {
  const keyFile = options.keyFile ?? DEMO_LOG_KEY_FILE
  const skey = readSignerKeyFile(keyFile)
  const parsed = parseSignerKey(skey)
  if (parsed.type !== 'ed25519') throw new Error(`${keyFile} holds a witness key; the log needs an Ed25519 note key`)
  const origin = options.origin ?? DEFAULT_LOG_ORIGIN
  const mismatch = originMismatch(keyFile, parsed.name, origin)
  if (mismatch) throw new SignerOriginError(mismatch)
  return {
    origin,
    vkey: verifierKeyOf(skey),
    keyName: parsed.name,
    isDemoKey: keyFile === DEMO_LOG_KEY_FILE,
    sign: (body) => signNote(body, skey),
  }
}

export interface SignedCheckpoint {
  size: number
  root: Buffer
  note: string
}

async function latestCheckpoint(db: Kysely<DB>) {
  return db.selectFrom('audit_checkpoints').select(['size', 'note']).orderBy('size', 'desc').limit(1).executeTakeFirst()
}

/**
 * Signs the tree's current head when it is larger than the last checkpoint (or when there is none yet). Before
 * signing: the head's root must equal the root recomputed from the stored subtrees, and a consistency proof from the
 * last checkpoint (verified with this key) must verify. Returns undefined when there is nothing new to sign.
 */
export async function signLatestCheckpoint(
  db: Kysely<DB>,
  signer: LogSigner,
  now: Date,
): Promise<SignedCheckpoint | undefined> {
  return db.transaction().execute(async (tx) => {
    // One signer at a time per database; PGlite has one connection anyway.
    await sql`SELECT pg_advisory_xact_lock(hashtext('numguard.audit.sign.' || current_schema()))`.execute(tx)
    const head = await currentHead(tx)
    const last = await latestCheckpoint(tx)
    const lastSize = last ? Number(last.size) : -1
    if (lastSize >= head.size) return undefined
    if (signer.lastSigned && signer.lastSigned.size > lastSize)
      throw new SignerRefusal(
        `the database's latest checkpoint has size ${lastSize}, but this signer signed size ${signer.lastSigned.size}: checkpoints were removed`,
      )
    const recomputed = await recomputeRoot(tx, head.size)
    if (!recomputed.equals(head.root))
      throw new SignerRefusal(`the root recorded at size ${head.size} is not the root of the stored tree`)
    const previous = last ? openPrevious(last.note, signer) : undefined
    if (
      previous &&
      signer.lastSigned &&
      previous.size === signer.lastSigned.size &&
      !previous.root.equals(signer.lastSigned.root)
    )
      throw new SignerRefusal(`the checkpoint stored at size ${previous.size} is not the one this signer signed`)
    for (const earlier of [previous, signer.lastSigned]) {
      if (!earlier || earlier.size === 0) continue
      const proof = await proveConsistency(tx, earlier.size, head.size)
      try {
        verifyConsistency(earlier.size, head.size, earlier.root, head.root, proof)
      } catch (err) {
        throw new SignerRefusal(
          `refusing to sign size ${head.size}: it is not consistent with the checkpoint of size ${earlier.size} (${(err as Error).message})`,
        )
      }
    }
    const note = signer.sign(formatCheckpoint({ origin: signer.origin, size: head.size, rootHash: head.root }))
    await tx
      .insertInto('audit_checkpoints')
      .values({ size: head.size, note, signed_at: now })
      .onConflict((oc) => oc.column('size').doNothing())
      .execute()
    signer.lastSigned = { size: head.size, root: head.root }
    return { size: head.size, root: head.root, note }
  })
}

function openPrevious(note: string, signer: LogSigner): TreeHead {
  try {
    const opened = openCheckpoint(note, signer.vkey, { origin: signer.origin })
    return { size: opened.size, root: opened.rootHash }
  } catch (err) {
    throw new SignerRefusal(
      `the latest stored checkpoint does not open with this log's key and origin (${(err as Error).message}); ` +
        'a different key or origin needs a new log',
    )
  }
}
