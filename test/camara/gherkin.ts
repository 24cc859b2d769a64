// A small Gherkin reader for the official CAMARA .feature files: Feature, Background, Scenario, Scenario Outline
// with Examples tables, tags and comments. Enough for these files; anything it does not understand is an error.

export interface Step {
  keyword: string
  text: string
  line: number
}

export interface Scenario {
  name: string
  tags: string[]
  steps: Step[]
  line: number
  /** For a row of a Scenario Outline's Examples: its values, joined by commas. */
  example?: string
}

export interface Feature {
  name: string
  background: Step[]
  scenarios: Scenario[]
}

const STEP = /^(Given|When|Then|And|But)\s+(.*)$/

export function parseFeature(source: string): Feature {
  const feature: Feature = { name: '', background: [], scenarios: [] }
  let tags: string[] = []
  let steps: Step[] | null = null
  let outline: { name: string; tags: string[]; steps: Step[]; line: number } | null = null
  let header: string[] | null = null
  const flushOutline = () => {
    outline = null
    header = null
  }
  source.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    const at = index + 1
    if (line === '' || line.startsWith('#')) return
    if (line.startsWith('@')) {
      tags.push(...line.split(/\s+/).filter((t) => t.startsWith('@')))
      return
    }
    const [, keyword, rest] = /^([A-Za-z ]+):\s*(.*)$/.exec(line) ?? []
    if (keyword === 'Feature') {
      feature.name = rest
      return
    }
    if (keyword === 'Background') {
      flushOutline()
      steps = feature.background
      return
    }
    if (keyword === 'Scenario') {
      flushOutline()
      const scenario = { name: rest, tags, steps: [], line: at }
      feature.scenarios.push(scenario)
      steps = scenario.steps
      tags = []
      return
    }
    if (keyword === 'Scenario Outline') {
      flushOutline()
      outline = { name: rest, tags, steps: [], line: at }
      steps = outline.steps
      tags = []
      return
    }
    if (keyword === 'Examples') {
      if (!outline) throw new Error(`line ${at}: Examples outside a Scenario Outline`)
      header = null
      steps = null
      return
    }
    if (line.startsWith('|')) {
      const cells = line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim())
      if (!outline) throw new Error(`line ${at}: a table outside Examples`)
      if (!header) {
        header = cells
        return
      }
      const values = Object.fromEntries(header.map((h, i) => [h, cells[i]]))
      const fill = (text: string) => text.replace(/<([^>]+)>/g, (m, name) => values[name] ?? m)
      const o = outline as { name: string; tags: string[]; steps: Step[]; line: number }
      feature.scenarios.push({
        name: `${o.name} (${cells.join(', ')})`,
        tags: o.tags,
        line: at,
        example: cells.join(', '),
        steps: o.steps.map((s) => ({ ...s, text: fill(s.text) })),
      })
      return
    }
    const step = STEP.exec(line)
    if (step && steps) {
      steps.push({ keyword: step[1], text: step[2].trim(), line: at })
      return
    }
    throw new Error(`line ${at}: not understood: ${line}`)
  })
  return feature
}
