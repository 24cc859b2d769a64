#!/usr/bin/env node
// Every folder of src/ has one face (issue 10, item 2). This script makes the tree say so, on any state of it:
//   1. every import in a non-test file of src/ that reaches into another folder's file (`../x/file.ts`) is
//      rewritten to that folder's face (`../x/index.ts`);
//   2. each folder's index.ts is regenerated to export exactly the names that other folders import from it
//      (types as `export type`), from the file that defines them.
// The shared layers (LAYERS below) have no face: every folder imports their files directly. Test files (*.test.ts,
// and everything outside src/) may import deep and are left as they are; the names they take from a face are kept.
// Idempotent: a second run changes nothing. `--check` changes nothing and exits 1 if a run would.
// test/architecture/faces.test.ts is the check CI runs; README (Design: one face per folder) says why.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const LAYERS = ['domain', 'db', 'platform']
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ROOT, 'src')
const OUTSIDE = ['test', 'bench', 'scripts'] // their imports of a face keep its names
const check = process.argv.includes('--check')

const posix = (p) => p.split(sep).join('/')
const isTest = (file) => /\.test\.tsx?$/.test(file)

function walk(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'migrations' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else if (/\.(ts|tsx|mts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** The folder of src/ a file belongs to (null for src/*.ts and files outside src/). */
function unitOf(file) {
  const parts = posix(relative(SRC, file)).split('/')
  if (parts[0] === '..' || parts.length < 2) return null
  return parts[0]
}

const parsed = new Map()
function parse(file) {
  if (!parsed.has(file)) {
    const text = readFileSync(file, 'utf8')
    parsed.set(file, { text, sf: ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true) })
  }
  return parsed.get(file)
}

/** Every module reference of a file: static imports and re-exports with their names, dynamic and type imports. */
function references(file) {
  const { sf } = parse(file)
  const refs = []
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const ref = { node: node.moduleSpecifier, spec: node.moduleSpecifier.text, names: [], unsupported: null }
      if (!clause) ref.unsupported = 'a side-effect import'
      else {
        if (clause.name) ref.unsupported = 'a default import'
        const bindings = clause.namedBindings
        if (bindings && ts.isNamespaceImport(bindings)) ref.unsupported = 'a namespace import (import * as)'
        else if (bindings)
          for (const el of bindings.elements)
            ref.names.push({ name: (el.propertyName ?? el.name).text, type: clause.isTypeOnly || el.isTypeOnly })
      }
      refs.push(ref)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const ref = { node: node.moduleSpecifier, spec: node.moduleSpecifier.text, names: [], unsupported: null }
      if (!node.exportClause) ref.unsupported = 'export * from'
      else if (ts.isNamespaceExport(node.exportClause)) ref.unsupported = 'export * as'
      else
        for (const el of node.exportClause.elements)
          ref.names.push({ name: (el.propertyName ?? el.name).text, type: node.isTypeOnly || el.isTypeOnly })
      refs.push(ref)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      const arg = node.arguments[0]
      refs.push({ node: arg, spec: arg.text, names: [], unsupported: 'a dynamic import()' })
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal
      if (ts.isStringLiteral(lit)) refs.push({ node: lit, spec: lit.text, names: [], unsupported: 'typeof import()' })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return refs
}

const hasExportModifier = (node) => node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false

/** The names a module exports: name -> { type, declared } (declared: defined here, not re-exported). */
const exportsCache = new Map()
function moduleExports(file, seen = new Set()) {
  if (exportsCache.has(file)) return exportsCache.get(file)
  const out = new Map()
  if (seen.has(file) || !existsSync(file)) return out
  seen.add(file)
  const { sf } = parse(file)
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      const from = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : null
      const target = from ? resolve(dirname(file), from) : null
      if (!st.exportClause) {
        if (target)
          for (const [name, e] of moduleExports(target, seen))
            if (!out.has(name)) out.set(name, { ...e, declared: false })
      } else if (ts.isNamespaceExport(st.exportClause))
        out.set(st.exportClause.name.text, { type: false, declared: false })
      else
        for (const el of st.exportClause.elements)
          out.set(el.name.text, { type: st.isTypeOnly || el.isTypeOnly, declared: !from })
    } else if (hasExportModifier(st)) {
      const type = ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations)
          if (ts.isIdentifier(d.name)) out.set(d.name.text, { type: false, declared: true })
      } else if (st.name && ts.isIdentifier(st.name)) out.set(st.name.text, { type, declared: true })
    }
  }
  exportsCache.set(file, out)
  return out
}

/** The file that declares `name`, following re-exports from `file`. */
function origin(file, name, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return null
  seen.add(file)
  const entry = moduleExports(file).get(name)
  if (!entry) return null
  if (entry.declared) return file
  for (const st of parse(file).sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue
    const target = resolve(dirname(file), st.moduleSpecifier.text)
    if (!st.exportClause) {
      const found = origin(target, name, seen)
      if (found) return found
    } else if (ts.isNamedExports(st.exportClause)) {
      const el = st.exportClause.elements.find((e) => e.name.text === name)
      if (el) return origin(target, (el.propertyName ?? el.name).text, seen)
    }
  }
  return null
}

/** What a face exports today: exported name -> { source (relative to the folder), local, namespace }. */
function currentFace(indexFile) {
  const face = new Map()
  if (!existsSync(indexFile)) return face
  const dir = dirname(indexFile)
  for (const st of parse(indexFile).sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue
    const source = posix(relative(dir, resolve(dir, st.moduleSpecifier.text)))
    if (!st.exportClause) {
      for (const name of moduleExports(resolve(dir, source)).keys())
        if (!face.has(name)) face.set(name, { source, local: name, namespace: false })
    } else if (ts.isNamespaceExport(st.exportClause))
      face.set(st.exportClause.name.text, { source, local: null, namespace: true })
    else
      for (const el of st.exportClause.elements)
        face.set(el.name.text, { source, local: (el.propertyName ?? el.name).text, namespace: false })
  }
  return face
}

const units = readdirSync(SRC, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !LAYERS.includes(e.name))
  .map((e) => e.name)
  .sort()

const problems = []
// unit -> exported name -> { source?, local, type (true while only types were asked for), namespace, via }
const wanted = new Map(units.map((u) => [u, new Map()]))
const rewrites = new Map() // file -> [{ start, end, text }]

function want(unit, name, entry, where) {
  const names = wanted.get(unit)
  const had = names.get(name)
  if (!had) return names.set(name, entry)
  if (entry.source && had.source && entry.source !== had.source) {
    const dir = join(SRC, unit)
    const [a, b] = [origin(join(dir, had.source), name), origin(join(dir, entry.source), name)]
    if (!a || a !== b)
      problems.push(`${unit}: ${name} is imported from both ${had.source} (${had.via}) and ${entry.source} (${where})`)
    // One symbol reached two ways: the face re-exports it from a sub-face (tlog/index.ts) when one was used.
    else if (entry.source.endsWith('/index.ts')) had.source = entry.source
  }
  had.source ??= entry.source
  had.type &&= entry.type
}

const srcFiles = walk(SRC)
const outsideFiles = OUTSIDE.flatMap((d) => walk(join(ROOT, d)))
for (const file of [...srcFiles, ...outsideFiles]) {
  const from = unitOf(file)
  const deepAllowed = isTest(file) || !file.startsWith(SRC + sep)
  for (const ref of references(file)) {
    if (!ref.spec.startsWith('.')) continue
    const target = resolve(dirname(file), ref.spec)
    const to = unitOf(target)
    if (!to || LAYERS.includes(to)) continue
    const inside = posix(relative(join(SRC, to), target))
    // A folder's own files use its files; its own tests' imports of its face still ask for names.
    if (to === from && inside !== 'index.ts') continue
    const where = posix(relative(ROOT, file))
    if (inside !== 'index.ts' && deepAllowed) continue
    if (ref.unsupported) {
      problems.push(`${where}: ${ref.unsupported} of ${ref.spec} crosses into src/${to}/; name what you use instead`)
      continue
    }
    for (const { name, type } of ref.names)
      want(to, name, { source: inside === 'index.ts' ? null : inside, local: name, type, via: where }, where)
    if (inside !== 'index.ts') {
      const face = posix(relative(dirname(file), join(SRC, to, 'index.ts')))
      const list = rewrites.get(file) ?? []
      list.push({
        start: ref.node.getStart() + 1,
        end: ref.node.getEnd() - 1,
        text: face.startsWith('.') ? face : `./${face}`,
      })
      rewrites.set(file, list)
    }
  }
}

/** The one file of a folder that defines `name` (its face names it otherwise, or it is searched for). */
function locate(unit, name, entry, face) {
  if (entry.source) return entry
  const known = face.get(name)
  if (known) return { ...entry, source: known.source, local: known.local ?? name, namespace: known.namespace }
  const dir = join(SRC, unit)
  const defining = walk(dir)
    .filter((f) => !isTest(f) && f !== join(dir, 'index.ts') && moduleExports(f).get(name)?.declared)
    .map((f) => posix(relative(dir, f)))
  if (defining.length === 1) return { ...entry, source: defining[0] }
  problems.push(
    defining.length === 0
      ? `src/${unit}/index.ts: ${entry.via} imports ${name}, which no file of src/${unit}/ exports`
      : `src/${unit}/index.ts: ${name} (${entry.via}) is defined in ${defining.join(' and ')}; import it from one`,
  )
  return null
}

/** A name of a subfolder that has its own face (audit/tlog/index.ts) is re-exported from that face. */
function subFace(unit, source, name) {
  const parts = source.split('/')
  for (let i = 1; i < parts.length; i++) {
    const face = `${parts.slice(0, i).join('/')}/index.ts`
    const file = join(SRC, unit, face)
    if (face !== source && existsSync(file) && origin(file, name) === origin(join(SRC, unit, source), name)) return face
  }
  return source
}

const faces = new Map()
for (const unit of units) {
  const face = currentFace(join(SRC, unit, 'index.ts'))
  const bySource = new Map()
  for (const [name, entry] of [...wanted.get(unit)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const found = locate(unit, name, entry, face)
    if (!found) continue
    found.source = subFace(unit, found.source, found.local)
    if (!existsSync(join(SRC, unit, found.source))) {
      problems.push(`src/${unit}/${found.source} does not exist (${found.via} imports ${name} from it)`)
      continue
    }
    const list = bySource.get(found.source) ?? []
    list.push({ name, local: found.local, type: found.type, namespace: found.namespace })
    bySource.set(found.source, list)
  }
  const lines = [
    `// The face of src/${unit}/: what other folders of src/ may use of it (one face per folder, README "Design").`,
    '// Generated by scripts/faces.mjs from the imports that name it: change those imports, then run the script.',
  ]
  for (const [source, names] of [...bySource].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const n of names.filter((n) => n.namespace)) lines.push(`export * as ${n.name} from './${source}'`)
    const plain = names.filter((n) => !n.namespace)
    if (plain.length === 0) continue
    const spec = (n) => `${n.type ? 'type ' : ''}${n.local !== n.name ? `${n.local} as ${n.name}` : n.name}`
    if (plain.every((n) => n.type))
      lines.push(`export type { ${plain.map((n) => spec({ ...n, type: false })).join(', ')} } from './${source}'`)
    else lines.push(`export { ${plain.map(spec).join(', ')} } from './${source}'`)
  }
  if (bySource.size === 0) lines.push('export {}')
  faces.set(join(SRC, unit, 'index.ts'), `${lines.join('\n')}\n`)
}

if (problems.length > 0) {
  console.error(`faces: nothing written; fix these first:\n  ${problems.join('\n  ')}`)
  process.exit(2)
}

/** Biome's formatting and import order (it merges the imports that now name one face). */
function canonical(file, text) {
  const biome = join(ROOT, 'node_modules', '.bin', 'biome')
  return new Promise((done, fail) => {
    const child = execFile(
      biome,
      ['check', '--write', '--linter-enabled=false', `--stdin-file-path=${file}`],
      { encoding: 'utf8', maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        error ? fail(new Error(`biome on ${file}: ${stderr || error.message}`)) : done(stdout),
    )
    child.stdin.end(text)
  })
}

const raw = new Map(faces)
for (const [file, edits] of rewrites) {
  let text = parse(file).text
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    text = text.slice(0, e.start) + e.text + text.slice(e.end)
  raw.set(file, text)
}
const planned = new Map()
const queue = [...raw]
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) planned.set(next[0], await canonical(...next))
  }),
)
const changed = []
for (const [file, text] of [...planned].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : null
  if (before === text) continue
  changed.push(posix(relative(ROOT, file)))
  if (!check) writeFileSync(file, text)
}

const imports = [...rewrites.values()].reduce((n, list) => n + list.length, 0)
if (check) {
  if (changed.length > 0) {
    console.error(`faces: ${changed.length} file(s) would change:\n  ${changed.join('\n  ')}`)
    process.exit(1)
  }
  console.log('faces: every folder of src/ is entered through its face')
} else
  console.log(
    `faces: ${imports} deep import(s) rewritten in ${rewrites.size} file(s); ${changed.length} file(s) written` +
      (changed.length ? `:\n  ${changed.join('\n  ')}` : ''),
  )
