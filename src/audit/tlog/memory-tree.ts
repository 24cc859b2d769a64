import { EMPTY_ROOT } from './hash.ts'
import { type NodeCoord, type NodeReader, newCompleteNodes } from './merkle.ts'

/**
 * A stored tree kept in memory: the same complete-subtree storage the database keeps, behind a NodeReader.
 * For tests, and for tools that rebuild a tree from an export to serve proofs from it.
 */
export class MemoryTree {
  size = 0
  root: Buffer = EMPTY_ROOT
  readonly nodes = new Map<string, Buffer>()
  /** How many batched reads were made (tests assert O(1) batches per operation). */
  reads = 0

  readonly read: NodeReader = async (coords: readonly NodeCoord[]) => {
    this.reads++
    return coords.map((c) => {
      const hash = this.nodes.get(`${c.level}:${c.index}`)
      if (!hash) throw new Error(`no stored node at level ${c.level} index ${c.index} (tree size ${this.size})`)
      return hash
    })
  }

  /** Appends leaf hashes, stores the new complete subtrees, returns the new root. */
  async append(leafHashes: readonly Buffer[]): Promise<Buffer> {
    const { nodes, root } = await newCompleteNodes(this.size, leafHashes, this.read)
    for (const n of nodes) {
      const key = `${n.level}:${n.index}`
      if (this.nodes.has(key)) throw new Error(`node level ${n.level} index ${n.index} would be stored twice`)
      this.nodes.set(key, n.hash)
    }
    this.size += leafHashes.length
    this.root = root
    return root
  }
}
