import { hash } from 'node:crypto'

// RFC 6962 §2.1 domain separation: 0x00 prefixes leaves, 0x01 interior nodes, so a leaf can never pose as a node.
// One-shot crypto.hash over one buffer is about twice as fast as createHash().update()… (the verifier hashes
// millions of nodes).

export function leafHash(leafBytes: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(leafBytes.length + 1)
  input[0] = 0
  input.set(leafBytes, 1)
  return hash('sha256', input, 'buffer')
}

const nodeInput = Buffer.alloc(65)

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32)
    return hash('sha256', Buffer.concat([Buffer.from([1]), left, right]), 'buffer')
  // A shared scratch buffer is safe: hashing is synchronous and the digest is a new Buffer.
  nodeInput[0] = 1
  nodeInput.set(left, 1)
  nodeInput.set(right, 33)
  return hash('sha256', nodeInput, 'buffer')
}

export const EMPTY_ROOT: Buffer = hash('sha256', Buffer.alloc(0), 'buffer')
