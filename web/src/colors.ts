// Number-state colours for charts; keep in step with the .state-* badge colours in styles.css.
import type { NumberState } from './types'

export const STATE_COLORS: Record<NumberState, string> = {
  available: '#2e8b57',
  reserved: '#2f6fd6',
  active: '#1f2a37',
  suspended: '#d69e00',
  aging: '#e8742a',
  retired: '#8a94a3',
  ported_out: '#7b4bc4',
}
