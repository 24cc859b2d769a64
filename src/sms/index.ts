// The SMS feature as other features use it. Queue notices in your command's transaction; read their evidence;
// register a handler for an MO keyword. Sending, receipts and MO storage run by themselves once `startSms` ran.

export {
  type MoHandler,
  type MoHandlerResult,
  type MoReply,
  type ReceivedMo,
  type RecordedMo,
  recordMo,
  registerMoHandler,
} from './mo.ts'
export { MO_KEYWORDS, type MoKeyword, maskMoText, type ParsedMo, parseMo } from './mo-parse.ts'
export { cancelNotice, type QueuedNotice, type QueueNoticeInput, queueNotice } from './notices.ts'
export { type NoticeEvidence, noticeEvidence } from './queries.ts'
export { type RecordedReceipt, recordReceipt } from './receipts.ts'
export { type RecoveryOptions, type RecoverySummary, recoverInterruptedSends, runSmsWork } from './recovery.ts'
export { type SmsLink, startSms, whenBound } from './runtime.ts'
export { DEFAULT_SOURCE_ADDR, type SendOptions, type SendSummary, sendDueNotices } from './sender.ts'
export {
  formatDate,
  type Language,
  NOTICE_TEMPLATES,
  type NoticeTemplate,
  renderNotice,
  type TemplateParams,
} from './templates.ts'
export { FINAL_RECEIPT_STATES, type SmsPriority, type SmsTransport } from './transport.ts'
