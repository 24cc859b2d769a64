// The regulator's reports as PDF: a small renderer from a neutral document model (title, metadata, headings,
// paragraphs, key–value tables, tables with header rows, a footer naming the signed checkpoint) to a PDF Buffer.
//
// Bilingual by construction: every label is a `Label` with English and Khmer, and both are printed (one document
// serves the regulator and the operator; ids, figures, times and hashes are data and stay as they are). The font is
// Noto Sans Khmer (assets/fonts/, OFL), which covers Latin too; pdfkit embeds a subset and shapes through fontkit,
// whose Indic shaper reorders Khmer clusters (the subscript ro of ក្រុម goes before its base). pdfkit shapes each
// space-separated word by its first script, so English and Khmer are always written as separate words here.
// Deterministic: the creation date is the caller's (the injected clock), and pdfkit derives the file id from it, so
// the same document at the same instant gives the same bytes.
import { readFile } from 'node:fs/promises'
import PDFDocument from 'pdfkit'
import { tolerateNullAnchors } from './null-anchors.ts'

/** A label in both languages. */
export interface Label {
  en: string
  km: string
}

/** A cell or value: data (printed as is) or a label (printed in both languages). */
export type Cell = string | number | boolean | Label | null

export interface FactRow {
  label: Label
  value: Cell
  /** Where the figure comes from (a CSV `section.item`, a row id, a leaf index), printed small beside it. */
  ref?: string
}

export interface Column {
  label: Label
  /** Relative width (default 1). */
  width?: number
  align?: 'left' | 'right'
}

export type Block =
  | { kind: 'heading'; text: Label }
  | { kind: 'paragraph'; text: Cell; small?: boolean }
  | { kind: 'facts'; rows: FactRow[] }
  | { kind: 'table'; columns: Column[]; rows: Cell[][]; empty?: Label; small?: boolean }

export interface CheckpointRef {
  size: number
  signed_at: string
  /** The signed note (C2SP): origin, size and root hash lines, then signatures. */
  note: string
}

export interface ReportDocument {
  title: Label
  /** Lines under the title (period, generated at, …). */
  metadata: FactRow[]
  blocks: Block[]
  /** The latest signed checkpoint, named in every page's footer; null when none covers the report yet. */
  checkpoint: CheckpointRef | null
}

const FONT_DIR = new URL('../../assets/fonts/', import.meta.url)
let fonts: Promise<{ regular: Buffer; bold: Buffer }> | undefined
const loadFonts = () => {
  fonts ??= Promise.all([
    readFile(new URL('NotoSansKhmer-Regular.ttf', FONT_DIR)),
    readFile(new URL('NotoSansKhmer-Bold.ttf', FONT_DIR)),
  ]).then(([regular, bold]) => ({ regular, bold }))
  return fonts
}

/** pdfkit's current font: its fontkit font is what shapes the text. */
interface LoadedFont {
  _font?: { font?: unknown }
}

const MARGIN = 48
const FOOTER = 44
const GREY = '#555555'
const RULE = '#cccccc'

const isLabel = (c: Cell): c is Label => c !== null && typeof c === 'object'
/** A cell as one string: a label as "English / Khmer" (spaces keep the scripts in separate words). */
export const cellText = (c: Cell): string =>
  c === null ? '—' : isLabel(c) ? `${c.en} / ${c.km}` : typeof c === 'boolean' ? (c ? 'yes' : 'no') : String(c)

/** The footer's words for a checkpoint, two lines: origin, size and signing time; the root hash, from its note. */
export function checkpointLines(c: CheckpointRef | null): [string, string] {
  if (!c) return ['No signed checkpoint covers this report yet', 'មិនទាន់មានចំណុចត្រួតពិនិត្យដែលបានចុះហត្ថលេខា']
  const [origin, , root] = c.note.split('\n')
  return [
    `Signed checkpoint / ចំណុចត្រួតពិនិត្យដែលបានចុះហត្ថលេខា: ${origin}, size ${c.size}, signed ${c.signed_at}`,
    `root hash ${root}`,
  ]
}

class Writer {
  readonly pdf: PDFKit.PDFDocument
  private readonly width: number

  constructor(pdf: PDFKit.PDFDocument) {
    this.pdf = pdf
    this.width = pdf.page.width - 2 * MARGIN
  }

  private get bottom() {
    return this.pdf.page.height - MARGIN - FOOTER
  }

  /** Starts a new page when `height` does not fit below the cursor; true when it did. */
  private room(height: number): boolean {
    if (this.pdf.y + height <= this.bottom) return false
    this.pdf.addPage()
    this.pdf.y = MARGIN
    return true
  }

  private write(text: string, x: number, y: number, width: number, opts: PDFKit.Mixins.TextOptions = {}) {
    this.pdf.text(text, x, y, { width, lineBreak: true, ...opts })
  }

  title(t: Label) {
    this.pdf.font('bold').fontSize(17).fillColor('black')
    this.write(t.en, MARGIN, this.pdf.y, this.width)
    this.pdf.fontSize(14)
    this.write(t.km, MARGIN, this.pdf.y + 2, this.width)
    this.pdf.y += 6
  }

  heading(t: Label) {
    this.room(60)
    this.pdf.y += 10
    this.pdf.font('bold').fontSize(12).fillColor('black')
    this.write(`${t.en}   ${t.km}`, MARGIN, this.pdf.y, this.width)
    const y = this.pdf.y + 2
    this.pdf
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + this.width, y)
      .lineWidth(0.7)
      .strokeColor('black')
      .stroke()
    this.pdf.y = y + 5
  }

  paragraph(text: Cell, small = false) {
    this.pdf
      .font('regular')
      .fontSize(small ? 7.5 : 9.5)
      .fillColor(small ? GREY : 'black')
    const s = cellText(text)
    this.room(Math.min(this.pdf.heightOfString(s, { width: this.width }), 200))
    this.write(s, MARGIN, this.pdf.y, this.width)
    this.pdf.y += 4
  }

  /** Key–value rows: English label, Khmer label, value; the figure's reference small and grey under the labels. */
  facts(rows: FactRow[]) {
    const w = this.width
    const cols = [w * 0.35, w * 0.27, w * 0.38]
    const xs = [MARGIN, MARGIN + cols[0], MARGIN + cols[0] + cols[1]]
    for (const r of rows) {
      const value = cellText(r.value)
      this.pdf.font('regular').fontSize(9)
      const labels = Math.max(
        this.pdf.heightOfString(r.label.en, { width: cols[0] - 6 }),
        this.pdf.heightOfString(r.label.km, { width: cols[1] - 6 }),
      )
      this.pdf.font('regular').fontSize(7)
      const ref = r.ref ? this.pdf.heightOfString(r.ref, { width: cols[0] + cols[1] - 6 }) : 0
      this.pdf.font('bold').fontSize(9)
      const h = Math.max(labels + ref, this.pdf.heightOfString(value, { width: cols[2] - 6 })) + 4
      this.room(h)
      const y = this.pdf.y
      this.pdf.font('regular').fontSize(9).fillColor('black')
      this.write(r.label.en, xs[0], y + 2, cols[0] - 6)
      this.write(r.label.km, xs[1], y + 2, cols[1] - 6)
      this.pdf.font('bold')
      this.write(value, xs[2], y + 2, cols[2] - 6)
      if (r.ref) {
        this.pdf.font('regular').fontSize(7).fillColor(GREY)
        this.write(r.ref, xs[0], y + 2 + labels, cols[0] + cols[1] - 6)
      }
      this.pdf.y = y + h
      this.rule(this.pdf.y)
    }
    this.pdf.y += 4
  }

  private rule(y: number) {
    this.pdf
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + this.width, y)
      .lineWidth(0.3)
      .strokeColor(RULE)
      .stroke()
  }

  /** A table with a two-line header (English over Khmer), repeated on each page the table runs onto. */
  table(columns: Column[], rows: Cell[][], empty?: Label, small = false) {
    const size = small ? 7 : 8.5
    const total = columns.reduce((s, c) => s + (c.width ?? 1), 0)
    const widths = columns.map((c) => (this.width * (c.width ?? 1)) / total)
    const xs = widths.map((_, i) => MARGIN + widths.slice(0, i).reduce((s, v) => s + v, 0))
    const header = () => {
      this.pdf.font('bold').fontSize(size).fillColor('black')
      const h =
        Math.max(
          ...columns.map((c, i) => this.pdf.heightOfString(`${c.label.en}\n${c.label.km}`, { width: widths[i] - 6 })),
        ) + 4
      this.room(h + 14)
      const y = this.pdf.y
      columns.forEach((c, i) => {
        const align = c.align ?? 'left'
        this.write(c.label.en, xs[i], y + 2, widths[i] - 6, { align })
        this.write(c.label.km, xs[i], this.pdf.y, widths[i] - 6, { align })
      })
      this.pdf.y = y + h
      this.pdf
        .moveTo(MARGIN, this.pdf.y)
        .lineTo(MARGIN + this.width, this.pdf.y)
        .lineWidth(0.7)
        .strokeColor('black')
        .stroke()
    }
    header()
    if (rows.length === 0 && empty) {
      this.pdf.font('regular').fontSize(size).fillColor(GREY)
      this.write(cellText(empty), MARGIN, this.pdf.y + 3, this.width)
    }
    for (const row of rows) {
      const cells = row.map(cellText)
      this.pdf.font('regular').fontSize(size)
      const h = Math.max(...cells.map((s, i) => this.pdf.heightOfString(s, { width: widths[i] - 6 }))) + 4
      if (this.room(h)) header()
      const y = this.pdf.y
      this.pdf.font('regular').fontSize(size).fillColor('black')
      cells.forEach((s, i) => {
        this.write(s, xs[i], y + 2, widths[i] - 6, { align: columns[i].align ?? 'left' })
      })
      this.pdf.y = y + h
      this.rule(this.pdf.y)
    }
    this.pdf.y += 6
  }

  /** Every page's footer: the signed checkpoint and the page number (written once all pages exist). */
  footers(checkpoint: CheckpointRef | null) {
    const range = this.pdf.bufferedPageRange()
    const [first, second] = checkpointLines(checkpoint)
    for (let i = range.start; i < range.start + range.count; i++) {
      this.pdf.switchToPage(i)
      const bottomMargin = this.pdf.page.margins.bottom
      this.pdf.page.margins.bottom = 0 // writing inside the bottom margin must not start a new page
      const y = this.pdf.page.height - MARGIN - FOOTER + 12
      this.rule(y - 4)
      this.pdf.font('regular').fontSize(7).fillColor(GREY)
      this.write(first, MARGIN, y, this.width - 60, { lineBreak: false })
      this.write(second, MARGIN, y + 10, this.width - 60, { lineBreak: false })
      this.write(`Page ${i + 1} / ${range.count}`, MARGIN + this.width - 56, y, 56, { align: 'right' })
      this.pdf.page.margins.bottom = bottomMargin
    }
  }
}

/** Renders a report document to PDF; `createdAt` (the injected clock's now) becomes its creation date. */
export async function renderPdf(doc: ReportDocument, createdAt: Date): Promise<Buffer> {
  const { regular, bold } = await loadFonts()
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    lang: 'en',
    info: {
      Title: `${doc.title.en} / ${doc.title.km}`,
      Author: 'numguard',
      Creator: 'numguard',
      Producer: 'numguard (pdfkit)',
      CreationDate: createdAt,
      ModDate: createdAt,
    },
  })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c))
    pdf.on('end', () => resolve(Buffer.concat(chunks)))
    pdf.on('error', reject)
  })
  pdf.registerFont('regular', regular)
  pdf.registerFont('bold', bold)
  for (const name of ['bold', 'regular']) tolerateNullAnchors((pdf.font(name) as unknown as LoadedFont)._font?.font)
  const w = new Writer(pdf)
  w.title(doc.title)
  w.facts(doc.metadata)
  for (const b of doc.blocks) {
    if (b.kind === 'heading') w.heading(b.text)
    else if (b.kind === 'paragraph') w.paragraph(b.text, b.small)
    else if (b.kind === 'facts') w.facts(b.rows)
    else w.table(b.columns, b.rows, b.empty, b.small)
  }
  w.footers(doc.checkpoint)
  pdf.end()
  return done
}
