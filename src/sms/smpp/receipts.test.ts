import { describe, expect, it } from 'vitest'
import { normaliseReceiptState, parseReceipt, parseReceiptDate, redactReceiptText } from './receipts.ts'

const TEXT =
  'id:0123456789 sub:001 dlvr:001 submit date:2611241530 done date:2611241531 stat:DELIVRD err:000 Text:Your code 987654'

describe('parseReceipt', () => {
  it('reads the standard receipt text', () => {
    const r = parseReceipt({ text: TEXT })
    expect(r).toEqual({
      messageId: '0123456789',
      state: 'DELIVRD',
      final: true,
      doneAt: new Date('2026-11-24T15:31:00Z'),
      error: null,
      raw: 'id:0123456789 sub:001 dlvr:001 submit date:2611241530 done date:2611241531 stat:DELIVRD err:000 Text:[redacted]',
    })
  })

  it('never keeps the message text (it may hold a code) in raw', () => {
    expect(redactReceiptText('id:1 stat:DELIVRD text:code 999999')).toBe('id:1 stat:DELIVRD text:[redacted]')
    expect(parseReceipt({ text: TEXT })?.raw).not.toContain('987654')
  })

  it('prefers the receipted_message_id and message_state TLVs', () => {
    const r = parseReceipt({ text: TEXT.replace('DELIVRD', 'ENROUTE'), receiptedMessageId: 'ABC123', messageState: 5 })
    expect(r).toMatchObject({ messageId: 'ABC123', state: 'UNDELIV', final: true })
  })

  it('works from TLVs alone, with a network error code', () => {
    const r = parseReceipt({
      text: '',
      receiptedMessageId: '77',
      messageState: 3,
      networkErrorCode: Buffer.from([0x03, 0x00, 0x0b]),
    })
    expect(r).toMatchObject({ messageId: '77', state: 'EXPIRED', final: true, doneAt: null, error: 'network:3:11' })
    expect(r?.raw).toBe('receipted_message_id:77 message_state:3')
  })

  it('keeps interim and unknown states not final, and reports non-zero err', () => {
    for (const [stat, state] of [
      ['ENROUTE', 'ENROUTE'],
      ['ACCEPTD', 'ACCEPTD'],
      ['UNKNOWN', 'UNKNOWN'],
      ['garbage', 'UNKNOWN'],
    ] as const) {
      const r = parseReceipt({ text: `id:9 stat:${stat} err:000` })
      expect(r).toMatchObject({ state, final: false })
    }
    expect(parseReceipt({ text: 'id:9 stat:UNDELIV err:0B1' })).toMatchObject({ final: true, error: '0B1' })
  })

  it('returns null when no message id is named', () => {
    expect(parseReceipt({ text: 'stat:DELIVRD' })).toBeNull()
  })

  it('accepts long state spellings and lower case keys', () => {
    expect(normaliseReceiptState('delivered')).toBe('DELIVRD')
    expect(normaliseReceiptState('UNDELIVERABLE')).toBe('UNDELIV')
    expect(parseReceipt({ text: 'ID:5 STAT:rejectd' })).toMatchObject({ messageId: '5', state: 'REJECTD', final: true })
  })
})

describe('parseReceiptDate', () => {
  it('reads YYMMDDhhmm and YYMMDDhhmmss in the SMSC offset', () => {
    expect(parseReceiptDate('2611241531')).toEqual(new Date('2026-11-24T15:31:00Z'))
    expect(parseReceiptDate('261124153107')).toEqual(new Date('2026-11-24T15:31:07Z'))
    expect(parseReceiptDate('2611241531', 7 * 60)).toEqual(new Date('2026-11-24T08:31:00Z'))
    expect(parseReceiptDate('2613241531')).toBeNull()
    expect(parseReceiptDate(undefined)).toBeNull()
  })
})
