import { describe, expect, it } from 'vitest'
import {
  FINAL_RECEIPT_STATES,
  isFinalReceiptState,
  pickMessageIdMatch,
  SmppSubmitError,
  sameMessageId,
} from './transport.ts'

describe('sameMessageId', () => {
  it('matches a decimal id with the same value written in hex, either way round', () => {
    expect(sameMessageId('1795562519022000', '6610DFA1E49B0')).toBe(true)
    expect(sameMessageId('6610dfa1e49b0', '1795562519022000')).toBe(true)
    expect(sameMessageId('255', 'ff')).toBe(true)
    expect(sameMessageId('ABCDEF', 'abcdef')).toBe(true)
    expect(sameMessageId('00042', '42')).toBe(true)
  })

  it('does not match different messages or empty ids', () => {
    expect(sameMessageId('1795562519022000', '6610DFA1E49B1')).toBe(false)
    expect(sameMessageId('255', 'fe')).toBe(false)
    expect(sameMessageId('msg-1', 'msg-2')).toBe(false)
    expect(sameMessageId('', '')).toBe(false)
    expect(sameMessageId('abc', '')).toBe(false)
  })
})

describe('pickMessageIdMatch', () => {
  it('prefers the exact id, then a unique hex/decimal equivalent, and never guesses between several', () => {
    expect(pickMessageIdMatch('16', ['10', '16', '22'])).toBe('16')
    expect(pickMessageIdMatch('0016', ['10', '16'])).toBe('16')
    expect(pickMessageIdMatch('6610DFA1E49B0', ['1795562519022000', '1795562519022001'])).toBe('1795562519022000')
    expect(pickMessageIdMatch('16', ['10', '22'])).toBeNull() // both are "16" in some reading
    expect(pickMessageIdMatch('99', [])).toBeNull()
  })
})

describe('receipt states', () => {
  it('treats only the DOMAIN final states (and DELETED) as final', () => {
    expect([...FINAL_RECEIPT_STATES].sort()).toEqual(['DELETED', 'DELIVRD', 'EXPIRED', 'REJECTD', 'UNDELIV'])
    for (const interim of ['ENROUTE', 'ACCEPTD', 'UNKNOWN'] as const) expect(isFinalReceiptState(interim)).toBe(false)
    expect(Object.isFrozen(FINAL_RECEIPT_STATES)).toBe(true)
  })

  it('carries the code and the command_status on submit errors', () => {
    const err = new SmppSubmitError('throttled', 'slow down', 0x58)
    expect(err).toBeInstanceOf(Error)
    expect([err.code, err.commandStatus, err.name]).toEqual(['throttled', 0x58, 'SmppSubmitError'])
    expect(new SmppSubmitError('not_bound', 'x').commandStatus).toBeNull()
  })
})
