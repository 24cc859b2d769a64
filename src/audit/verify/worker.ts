// A worker thread of the verifier: checks and hashes chunks of leaves, and opens batches of checkpoint notes.
import { parentPort } from 'node:worker_threads'
import { type ChunkResult, processChunk } from './leaf-chunk.ts'
import { type NoteKeys, type OpenedNote, openNotes } from './notes.ts'

export type Job =
  | { type: 'chunk'; bytes: Uint8Array; start: number }
  | { type: 'notes'; notes: string[]; keys: NoteKeys }
export type JobResult<J extends Job> = J extends { type: 'chunk' } ? ChunkResult : OpenedNote[]

/** Runs a job here (a worker, or the calling thread when there is none); lists the memory its result may move. */
export function runJob(job: Job): { result: ChunkResult | OpenedNote[]; transfer: ArrayBuffer[] } {
  if (job.type === 'notes') return { result: openNotes(job.notes, job.keys), transfer: [] }
  const result = processChunk(job.bytes, job.start)
  const { codes, uuids, isUuid } = result.facts
  return { result, transfer: [result.levels, codes, uuids, isUuid].map((a) => a.buffer as ArrayBuffer) }
}

parentPort?.on('message', (m: { id: number; job: Job }) => {
  const { result, transfer } = runJob(m.job)
  parentPort?.postMessage({ id: m.id, result }, transfer)
})
