// Reading back the PDFs numguard writes: their text as lines (items on one baseline, left to right), the fonts
// embedded, and the metadata. Khmer comes back in glyph order (a subscript ro before its base), so tests assert on
// ids, figures and Latin text, and on Khmer only by the presence of Khmer characters and the embedded font.
import { getDocumentProxy, getMeta } from 'unpdf'

export interface PdfText {
  pages: number
  /** Each page's lines, top to bottom; each line its text items, left to right. */
  lines: string[][]
  /** Everything, one line of text per line. */
  text: string
}

export async function readPdf(buf: Buffer): Promise<PdfText> {
  const pdf = await getDocumentProxy(new Uint8Array(buf))
  const lines: string[][] = []
  for (let p = 1; p <= pdf.numPages; p++) {
    const content = await (await pdf.getPage(p)).getTextContent()
    const items: { x: number; y: number; s: string }[] = []
    for (const item of content.items) {
      if (!('str' in item) || item.str.trim() === '') continue
      items.push({ x: item.transform[4], y: item.transform[5], s: item.str.trim() })
    }
    // One line: baselines within 3 pt (a small grey reference beside a figure sits a little lower).
    items.sort((a, b) => b.y - a.y || a.x - b.x)
    let line: typeof items = []
    for (const it of items) {
      if (line.length > 0 && line[0].y - it.y > 3) {
        lines.push(line.sort((a, b) => a.x - b.x).map((i) => i.s))
        line = []
      }
      line.push(it)
    }
    if (line.length > 0) lines.push(line.sort((a, b) => a.x - b.x).map((i) => i.s))
  }
  return { pages: pdf.numPages, lines, text: lines.map((l) => l.join(' ')).join('\n') }
}

/** The PDF's Info dictionary (title, creation date …) as pdf.js reads it. */
export async function pdfInfo(buf: Buffer): Promise<Record<string, unknown>> {
  const { info } = await getMeta(new Uint8Array(buf))
  return info as Record<string, unknown>
}

/** The base names of the fonts embedded (subset tag stripped), from the uncompressed font dictionaries. */
export function embeddedFonts(buf: Buffer): string[] {
  const names = [...buf.toString('latin1').matchAll(/\/BaseFont \/(?:[A-Z]{6}\+)?([A-Za-z0-9_-]+)/g)].map((m) => m[1])
  return [...new Set(names)].sort()
}

/** Characters of the Khmer block (U+1780–U+17FF) in a text. */
export const khmerChars = (text: string): number => (text.match(/[\u1780-\u17ff]/g) ?? []).length

// pdf.js sometimes glues the first glyphs of a Khmer cell (a pre-base coeng ro, in glyph order) onto the item
// before it, and a label cell is one item "English / Khmer": an item matches a part that it equals, or that it
// starts with when only Khmer (and the slash) follows.
const KHMER_ONLY = /^[\u1780-\u17ff\u19e0-\u19ff\s/]*$/
const matches = (item: string, part: string) =>
  item === part || (item.startsWith(part) && KHMER_ONLY.test(item.slice(part.length)))

/** The line whose items include all of `parts` (each matched whole), or undefined. */
export function lineWith(pdf: PdfText, ...parts: string[]): string[] | undefined {
  return pdf.lines.find((l) => parts.every((p) => l.some((item) => matches(item, p))))
}

/** The line after the one `lineWith` finds (where a fact's small grey reference stands, under its label). */
export function lineAfter(pdf: PdfText, ...parts: string[]): string[] | undefined {
  const line = lineWith(pdf, ...parts)
  return line ? pdf.lines[pdf.lines.indexOf(line) + 1] : undefined
}
