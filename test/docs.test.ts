// The README is read by people who have only this repository: it names no file outside it (the design brief's
// ../shared folder), and every relative link in it, as in the docs it links to, names a file that is here.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')

/** The targets of a Markdown file's relative links (`[text](path)`, anchors and web addresses left out). */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1])
  return targets
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => decodeURI(t.split('#')[0]))
}

describe('README.md', () => {
  const readme = read('README.md')

  it('never points outside the repository (../shared)', () => {
    expect(readme).not.toMatch(/\.\.\/shared/)
    expect(readme.match(/\.\.\/[\w.-]+/g) ?? []).toEqual([])
  })

  it('links to the domain in docs/DOMAIN.md, and every relative link names a file that exists', () => {
    const links = relativeLinks(readme)
    expect(links).toContain('docs/DOMAIN.md')
    expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([])
  })

  it('names DOMAIN.md and STYLE.md only as the files in docs/', () => {
    expect(readme.match(/(?<!docs\/)\b(DOMAIN|STYLE)\.md/g) ?? []).toEqual([])
  })
})

describe('docs/', () => {
  it('DOMAIN.md holds the people, the lifecycle, the request table, the invariants and where numguard differs', () => {
    const domain = read('docs/DOMAIN.md')
    for (const heading of [
      '## People and systems',
      '## Number lifecycle',
      '## Requests (four eyes and consent)',
      "## Invariants (the product's promises)",
      '## Regulatory anchors',
      '## Where numguard differs',
    ])
      expect(domain).toContain(heading)
    // What the code does: transfers, terminations and KYC changes are refused for 30 days after any swap.
    expect(domain).toContain('within **30 days**')
  })

  it('every relative link in docs/*.md names a file that exists, and none leaves the repository', () => {
    for (const file of ['docs/DOMAIN.md', 'docs/STYLE.md']) {
      const text = read(file)
      expect(text, file).not.toMatch(/\.\.\/shared|context\/incident-article/)
      const missing = relativeLinks(text).filter((l) => !existsSync(join(ROOT, dirname(file), l)))
      expect(missing, file).toEqual([])
    }
  })
})
