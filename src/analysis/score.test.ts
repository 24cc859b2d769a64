import { describe, expect, it } from 'vitest'
import { median, newestLeaf, riskScore, type StaffSignals, volumeRatio } from './score.ts'
import { DEFAULT_OPTIONS, SIGNAL_WEIGHTS } from './settings.ts'

function signals(counts: Partial<Record<keyof StaffSignals, number>>, ratio = 0): StaffSignals {
  const s = (k: keyof StaffSignals) => ({ count: counts[k] ?? 0, leaves: counts[k] ? [counts[k] * 10] : [] })
  return {
    refused_attempts: s('refused_attempts'),
    swap_without_reply_then_transfer: s('swap_without_reply_then_transfer'),
    repeated_pairs: { ...s('repeated_pairs'), pairs: [] },
    off_hours: s('off_hours'),
    away_from_shop: s('away_from_shop'),
    volume: { ...s('volume'), role: 'agent', peer_median: 1, ratio },
  }
}

describe('riskScore', () => {
  it('is zero for no signals and the weighted sum otherwise', () => {
    expect(riskScore(signals({}))).toBe(0)
    const w = SIGNAL_WEIGHTS
    expect(riskScore(signals({ refused_attempts: 3, off_hours: 4, away_from_shop: 1 }))).toBe(
      3 * w.refused_attempts + 4 * w.off_hours + w.away_from_shop,
    )
  })

  it('lets one swap without reply followed by a transfer outweigh many ordinary figures', () => {
    const culprit = riskScore(signals({ swap_without_reply_then_transfer: 1, repeated_pairs: 3 }))
    const busy = riskScore(signals({ off_hours: 6, volume: 10 }, 2))
    expect(culprit).toBeGreaterThan(busy)
  })

  it('counts volume only above the free ratio', () => {
    expect(riskScore(signals({ volume: 5 }, DEFAULT_OPTIONS.volumeFreeRatio))).toBe(0)
    expect(riskScore(signals({ volume: 5 }, DEFAULT_OPTIONS.volumeFreeRatio + 1.5))).toBe(1.5 * SIGNAL_WEIGHTS.volume)
  })

  it('takes weights of the caller', () => {
    const options = { ...DEFAULT_OPTIONS, weights: { ...SIGNAL_WEIGHTS, off_hours: 3 } }
    expect(riskScore(signals({ off_hours: 2 }), options)).toBe(6)
  })
})

describe('median, volumeRatio and newestLeaf', () => {
  it('medians odd and even lists and nothing', () => {
    expect(median([])).toBe(0)
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it('compares against a median of at least 1', () => {
    expect(volumeRatio(4, 0)).toBe(4)
    expect(volumeRatio(3, 2)).toBe(1.5)
  })

  it('names the newest leaf of a scoring figure; ordinary volume does not count', () => {
    expect(newestLeaf(signals({}))).toBeNull()
    expect(newestLeaf(signals({ off_hours: 2, volume: 9 }, 1))).toBe(20)
    expect(newestLeaf(signals({ off_hours: 2, volume: 9 }, 3))).toBe(90)
  })
})
