// The PDF renderer: bilingual labels, data as given, Khmer shaped by the shipped font, tables that run onto more
// pages repeat their header, every page names the signed checkpoint, and the same document at the same instant
// gives the same bytes.
import { readFile } from 'node:fs/promises'
import * as fontkit from 'fontkit'
import { describe, expect, it } from 'vitest'
import { embeddedFonts, khmerChars, lineWith, pdfInfo, readPdf } from '../../test/helpers/pdf.ts'
import { tolerateNullAnchors } from './null-anchors.ts'
import { checkpointLines, type ReportDocument, renderPdf } from './pdf.ts'

const at = new Date('2026-04-02T03:04:05.000Z')
const checkpoint = {
  size: 42,
  signed_at: '2026-04-01T00:00:00.000Z',
  note: 'numguard.example/log\n42\nq6Xx1mJ0Yd9sN5tX2o6oC3Jr1o+1q0g5m2k7b8c9d0A=\n\n— numguard.example/log AbCdEf==\n',
}

const doc = (rows: number): ReportDocument => ({
  title: { en: 'Test report', km: 'របាយការណ៍សាកល្បង' },
  metadata: [{ label: { en: 'Month', km: 'ខែ' }, value: '2026-03', ref: 'report.month' }],
  blocks: [
    { kind: 'heading', text: { en: 'Figures', km: 'តួលេខ' } },
    { kind: 'paragraph', text: 'Counted from audit leaves 0 to 41.' },
    {
      kind: 'facts',
      rows: [
        { label: { en: 'Numbers warned', km: 'លេខដែលបានព្រមាន' }, value: 7, ref: 'numbers.warned' },
        { label: { en: 'Complete', km: 'ពេញលេញ' }, value: true, ref: 'report.complete' },
      ],
    },
    {
      kind: 'table',
      columns: [
        { label: { en: 'Leaf', km: 'កំណត់ត្រា' }, align: 'right' },
        { label: { en: 'Action', km: 'សកម្មភាព' }, width: 3 },
      ],
      rows: Array.from({ length: rows }, (_, i) => [i, `action-${i}`]),
    },
  ],
  checkpoint,
})

describe('the PDF renderer', () => {
  it('prints the labels in English and Khmer, the data as given, and the checkpoint in the footer', async () => {
    const buf = await renderPdf(doc(3), at)
    expect(buf.subarray(0, 5).toString()).toBe('%PDF-')
    const pdf = await readPdf(buf)
    expect(pdf.pages).toBe(1)
    expect(lineWith(pdf, 'Test report')).toBeDefined()
    const warned = lineWith(pdf, 'Numbers warned', '7')
    expect(warned).toBeDefined()
    expect(lineWith(pdf, 'numbers.warned')).toBeDefined()
    expect(khmerChars(warned?.join(' ') ?? '')).toBeGreaterThan(0)
    expect(lineWith(pdf, 'Complete', 'yes')).toBeDefined()
    expect(lineWith(pdf, '2', 'action-2')).toBeDefined()
    expect(pdf.text).toContain('Counted from audit leaves 0 to 41.')
    expect(pdf.text).toContain('numguard.example/log, size 42, signed 2026-04-01T00:00:00.000Z')
    expect(pdf.text).toContain('root hash q6Xx1mJ0Yd9sN5tX2o6oC3Jr1o+1q0g5m2k7b8c9d0A=')
    expect(pdf.text).toContain('Page 1 / 1')
    expect(khmerChars(pdf.text)).toBeGreaterThan(40)
    expect(embeddedFonts(buf)).toEqual(['NotoSansKhmer-Bold', 'NotoSansKhmer-Regular'])
  })

  it('takes its creation date from the caller and gives the same bytes for the same document and instant', async () => {
    const a = await renderPdf(doc(3), at)
    expect((await renderPdf(doc(3), at)).equals(a)).toBe(true)
    expect((await renderPdf(doc(3), new Date(at.getTime() + 1000))).equals(a)).toBe(false)
    const info = await pdfInfo(a)
    expect(info.CreationDate).toBe('D:20260402030405Z')
    expect(info.Title).toContain('Test report')
  })

  it('runs a long table onto more pages, repeating its header and the footer on each', async () => {
    const pdf = await readPdf(await renderPdf(doc(150), at))
    expect(pdf.pages).toBeGreaterThan(2)
    expect(pdf.lines.filter((l) => l.includes('Leaf') && l.includes('Action'))).toHaveLength(pdf.pages)
    expect(pdf.lines.filter((l) => l.some((s) => s.startsWith('Signed checkpoint')))).toHaveLength(pdf.pages)
    expect(pdf.text).toContain(`Page ${pdf.pages} / ${pdf.pages}`)
    for (let i = 0; i < 150; i++) expect(lineWith(pdf, String(i), `action-${i}`)).toBeDefined()
  })

  it('says so in the footer when no signed checkpoint covers the report', async () => {
    const pdf = await readPdf(await renderPdf({ ...doc(1), checkpoint: null }, at))
    expect(pdf.text).toContain('No signed checkpoint covers this report yet')
    expect(checkpointLines(null)[0]).toBe('No signed checkpoint covers this report yet')
  })

  it('ships a font whose shaping of Khmer differs from a naive character-to-glyph lookup', async () => {
    // ក្រុម: ក + coeng + រ + ុ + ម. Shaped, the coeng-ro becomes one glyph placed before its base consonant.
    const font = fontkit.create(
      await readFile(new URL('../../assets/fonts/NotoSansKhmer-Regular.ttf', import.meta.url)),
    ) as fontkit.Font
    const word = 'ក្រុម'
    const naive = [...word].map((c) => font.glyphForCodePoint(c.codePointAt(0) as number).id)
    const shaped = font.layout(word).glyphs
    expect(shaped.map((g) => g.id)).not.toEqual(naive)
    expect(shaped).toHaveLength(4)
    expect(shaped[0].codePoints).toEqual([0x17d2, 0x179a])
    expect(shaped[1].id).toBe(naive[0])
    // ក + nikahit: the font leaves that mark-to-base anchor NULL; fontkit throws on it unless told to skip the subtable.
    tolerateNullAnchors(font)
    const run = font.layout('កំណត់ត្រា')
    expect(run.glyphs.map((g) => g.codePoints[0])).toContain(0x17c6)
    expect(run.positions.every((p) => Number.isFinite(p.xOffset) && Number.isFinite(p.yOffset))).toBe(true)
    // Latin too: the one font serves both languages.
    expect(
      [...'Monthly report 0123456789 +855'].every((c) => font.hasGlyphForCodePoint(c.codePointAt(0) as number)),
    ).toBe(true)
  })
})
