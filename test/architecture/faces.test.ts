// One face per folder (issue 10, item 2; README "Design: one face per folder"). Reads every non-test file of src/
// and checks: a folder of src/ is entered only through its index.ts, except the shared layers, whose files anyone
// imports; the layers import only the layers below them; no feature imports a composition root; and the graph of
// folders has no cycle, type-only imports included. Test files (*.test.ts, test/) may import deep.
// `node scripts/faces.mjs` fixes the first kind of failure by itself; the others need a move (see README).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(ROOT, 'src')

/** Shared layers: no face, imported file by file; each imports only the layers named here. */
const LAYERS: Record<string, string[]> = { domain: [], db: ['domain'], platform: ['domain'] }
/** Composition roots: they may import every feature (through its face); no feature imports them. */
const ROOTS = ['cli', 'demo', 'http', 'worker', 'config.ts', 'production-login.ts', 'runtime.ts', 'wiring.ts']
/** The process context: an interface of feature types every feature names by `import type` (README says why). */
const CONTEXT = 'app.ts'

interface Ref {
  file: string // relative to the repository
  spec: string
  target: string // absolute path
  typeOnly: boolean
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'migrations' || entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(path)
  }
  return out
}

/** Every relative module reference of a source text: imports, re-exports, import(), typeof import(). */
function scan(file: string, text: string): Ref[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const refs: Ref[] = []
  const add = (spec: string, typeOnly: boolean) => {
    if (spec.startsWith('.'))
      refs.push({ file: relative(ROOT, file), spec, target: resolve(dirname(file), spec), typeOnly })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined
      const allTypes = !c?.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)
      add(node.moduleSpecifier.text, !!c && (c.isTypeOnly || allTypes))
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined
      add(
        node.moduleSpecifier.text,
        node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)),
      )
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false)
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal.text, true)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return refs
}

/** A folder of src/ by name, or a top-level file of src/ by file name; null outside src/. */
function unitOf(path: string): string | null {
  const parts = relative(SRC, path).split(sep)
  if (parts[0] === '..') return null
  return parts[0]
}

/** Deep imports: into another folder's file other than its index.ts, unless that folder is a layer. */
function deepImports(refs: Ref[]): string[] {
  const found: string[] = []
  for (const ref of refs) {
    const [from, to] = [unitOf(join(ROOT, ref.file)), unitOf(ref.target)]
    if (!to || to === from || to in LAYERS || to.endsWith('.ts')) continue
    if (relative(join(SRC, to), ref.target) !== 'index.ts') found.push(`${ref.file}: ${ref.spec}`)
  }
  return found
}

/** One cycle of the graph as `a -> b -> a` with the import that makes each step, or null. */
function findCycle(edges: Map<string, Map<string, string>>): string | null {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | null => {
    state.set(node, 'open')
    path.push(node)
    for (const next of [...(edges.get(node)?.keys() ?? [])].sort()) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next]
      if (!state.has(next)) {
        const cycle = visit(next)
        if (cycle) return cycle
      }
    }
    path.pop()
    state.set(node, 'done')
    return null
  }
  for (const node of [...edges.keys()].sort()) {
    if (state.has(node)) continue
    const cycle = visit(node)
    if (cycle)
      return cycle
        .slice(1)
        .map((to, i) => `${cycle[i]} -> ${to}   (${edges.get(cycle[i])?.get(to)})`)
        .join('\n')
  }
  return null
}

const files = walk(SRC)
const refs = files.flatMap((f) => scan(f, readFileSync(f, 'utf8')))
const crossing = refs
  .map((ref) => ({ ref, from: unitOf(join(ROOT, ref.file)) as string, to: unitOf(ref.target) }))
  .filter((r): r is { ref: Ref; from: string; to: string } => !!r.to && r.to !== r.from)
const folders = readdirSync(SRC, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
const features = folders.filter((f) => !(f in LAYERS) && !ROOTS.includes(f))

describe('one face per folder', () => {
  it('sees the imports it checks (self-check)', () => {
    const sample = [
      "import { a } from '../x/a.ts'",
      "import type { B } from '../x/b.ts'",
      "import { type C, d } from '../x/c.ts'",
      "export { e } from '../x/e.ts'",
      "const f = await import('../x/f.ts')",
      "let g: typeof import('../x/g.ts')",
      "import { h } from 'kysely'",
    ].join('\n')
    const found = scan(join(SRC, 'y', 'sample.ts'), sample)
    expect(found.map((r) => [r.spec, r.typeOnly])).toEqual([
      ['../x/a.ts', false],
      ['../x/b.ts', true],
      ['../x/c.ts', false],
      ['../x/e.ts', false],
      ['../x/f.ts', false],
      ['../x/g.ts', true],
    ])
    expect(deepImports(found)).toHaveLength(6)
    expect(
      deepImports(scan(join(SRC, 'y', 's.ts'), "import { a } from '../x/index.ts'\nimport '../domain/b.ts'")),
    ).toEqual([])
    const cycle = new Map([
      ['a', new Map([['b', 'src/a/x.ts: ../b/index.ts']])],
      ['b', new Map([['a', 'src/b/y.ts: ../a/index.ts']])],
    ])
    expect(findCycle(cycle)).toBe('a -> b   (src/a/x.ts: ../b/index.ts)\nb -> a   (src/b/y.ts: ../a/index.ts)')
    // The real tree: hundreds of imports cross folders, from every feature.
    expect(files.length).toBeGreaterThan(200)
    expect(crossing.length).toBeGreaterThan(300)
    for (const feature of features)
      expect(
        crossing.some((c) => c.from === feature),
        feature,
      ).toBe(true)
  })

  it('every folder but the layers has an index.ts that only re-exports its own files', () => {
    const problems: string[] = []
    for (const folder of folders.filter((f) => !(f in LAYERS))) {
      const index = join(SRC, folder, 'index.ts')
      if (!existsSync(index)) {
        problems.push(`src/${folder}/index.ts is missing (run node scripts/faces.mjs)`)
        continue
      }
      const sf = ts.createSourceFile(index, readFileSync(index, 'utf8'), ts.ScriptTarget.Latest, true)
      for (const st of sf.statements) {
        const spec =
          ts.isExportDeclaration(st) && st.moduleSpecifier ? (st.moduleSpecifier as ts.StringLiteral).text : ''
        const empty = ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause?.getText() === '{}'
        if (!empty && !spec.startsWith('./')) problems.push(`src/${folder}/index.ts: ${st.getText().slice(0, 80)}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('no file of src/ imports another folder’s files except through its index.ts (layers excepted)', () => {
    expect(deepImports(refs), 'run node scripts/faces.mjs').toEqual([])
  })

  it('the layers import only the layers below them', () => {
    const wrong = crossing
      .filter((c) => c.from in LAYERS && !LAYERS[c.from].includes(c.to))
      .map((c) => `${c.ref.file}: ${c.ref.spec}`)
    expect(wrong).toEqual([])
  })

  it('no feature imports a composition root; the process context is named by type only', () => {
    const wrong = crossing
      .filter((c) => features.includes(c.from) && ROOTS.includes(c.to))
      .map((c) => `${c.ref.file}: ${c.ref.spec}`)
    expect(wrong).toEqual([])
    const valued = crossing.filter((c) => c.to === CONTEXT && !c.ref.typeOnly).map((c) => c.ref.file)
    expect(valued).toEqual([])
    const context = scan(join(SRC, CONTEXT), readFileSync(join(SRC, CONTEXT), 'utf8'))
    expect(context.length).toBeGreaterThan(0)
    expect(context.filter((r) => !r.typeOnly)).toEqual([])
  })

  it('the graph of folders has no cycle, type-only imports included', () => {
    const edges = new Map<string, Map<string, string>>()
    for (const { ref, from, to } of crossing) {
      if (from === CONTEXT || to === CONTEXT) continue
      const out = edges.get(from) ?? new Map<string, string>()
      if (!out.has(to)) out.set(to, `${ref.file}: ${ref.spec}${ref.typeOnly ? ' (type)' : ''}`)
      edges.set(from, out)
    }
    expect(edges.size).toBeGreaterThan(features.length)
    const cycle = findCycle(edges)
    expect(cycle, `import cycle between folders of src/:\n${cycle}`).toBeNull()
  })
})
