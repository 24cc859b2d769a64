// fontkit 2.0.4 (pdfkit's shaper) reads a mark-to-base anchor that a font leaves NULL as if it were there, and throws
// on some of the commonest Khmer syllables in Noto Sans Khmer: ក or ច followed by nikahit ំ (កំណត់, ចំណុច). In
// OpenType a NULL anchor means "no attachment for this mark class here": HarfBuzz lets that subtable not apply and
// tries the next one. This does the same to the processor of the font pdfkit loaded, without touching node_modules.

interface MarkRecord {
  markAnchor?: unknown
}
interface GposProcessor {
  applyLookup(lookupType: number, table: unknown): boolean
  applyAnchor(markRecord: MarkRecord, baseAnchor: unknown, baseGlyphIndex: number): void
}
interface FontkitFont {
  _layoutEngine?: { engine?: { GPOSProcessor?: GposProcessor | null } }
}

const NULL_ANCHOR = Symbol('null anchor')
const patched = new WeakSet<object>()

/** Makes the GPOS processor class of `font` (a fontkit font) skip subtables whose anchor is NULL; idempotent. */
export function tolerateNullAnchors(font: unknown): void {
  const gpos = (font as FontkitFont)._layoutEngine?.engine?.GPOSProcessor
  if (!gpos) return
  const proto = Object.getPrototypeOf(gpos) as GposProcessor
  if (patched.has(proto) || typeof proto.applyLookup !== 'function' || typeof proto.applyAnchor !== 'function') return
  patched.add(proto)
  const { applyLookup, applyAnchor } = proto
  proto.applyAnchor = function (this: GposProcessor, markRecord, baseAnchor, baseGlyphIndex) {
    // Thrown before anything moves, caught just below: the subtable did not apply.
    if (!baseAnchor || !markRecord?.markAnchor) throw NULL_ANCHOR
    applyAnchor.call(this, markRecord, baseAnchor, baseGlyphIndex)
  }
  proto.applyLookup = function (this: GposProcessor, lookupType, table) {
    try {
      return applyLookup.call(this, lookupType, table)
    } catch (err) {
      if (err === NULL_ANCHOR) return false
      throw err
    }
  }
}
