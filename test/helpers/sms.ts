// A fake SMSC transport for SMS tests: records what was submitted, answers with decimal message ids, and lets a
// test decide per part what the SMSC does (accept, refuse, never answer) and deliver receipts and MO by hand.
import type { App } from '../../src/app.ts'
import { audited } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import type { Actor } from '../../src/domain/actor.ts'
import { type QueueNoticeInput, queueNotice } from '../../src/sms/notices.ts'
import {
  type DeliveryReceipt,
  type EncodedPart,
  isFinalReceiptState,
  type MoMessage,
  type ReceiptState,
  type SmsPriority,
  type SmsTransport,
} from '../../src/sms/transport.ts'

export interface Submitted {
  to: string
  from: string
  part: EncodedPart
  priority: SmsPriority
  messageId: string
}

type SubmitInput = { to: string; from: string; part: EncodedPart; priority: SmsPriority }

export class FakeTransport implements SmsTransport {
  bound = true
  readonly submitted: Submitted[] = []
  /** Replace to make the SMSC refuse, hang or inspect; the default accepts with the next decimal id. */
  behaviour:
    | ((input: SubmitInput, accept: () => Promise<{ messageId: string }>) => Promise<{ messageId: string }>)
    | null = null
  #nextId = 4_000_000
  #receipt: ((r: DeliveryReceipt) => Promise<void>) | null = null
  #mo: ((m: MoMessage) => Promise<void>) | null = null
  #status: ((s: { bound: boolean; reason?: string }) => void)[] = []

  submitPart(input: SubmitInput): Promise<{ messageId: string }> {
    const accept = async () => {
      const messageId = String(this.#nextId++)
      this.submitted.push({ ...input, messageId })
      return { messageId }
    }
    return this.behaviour ? this.behaviour(input, accept) : accept()
  }
  onReceipt(handler: (r: DeliveryReceipt) => Promise<void>): void {
    this.#receipt = handler
  }
  onMo(handler: (m: MoMessage) => Promise<void>): void {
    this.#mo = handler
  }
  onStatus(handler: (s: { bound: boolean; reason?: string }) => void): void {
    this.#status.push(handler)
  }
  async close(): Promise<void> {}

  /** The SMSC sends a receipt for a message id (as the transport would hand it over). */
  async receipt(messageId: string, state: ReceiptState = 'DELIVRD'): Promise<void> {
    if (!this.#receipt) throw new Error('no receipt handler registered')
    await this.#receipt({
      messageId,
      state,
      final: isFinalReceiptState(state),
      doneAt: null,
      error: state === 'DELIVRD' ? '000' : '001',
      raw: `id:${messageId} sub:001 dlvr:001 submit date:2603021000 done date:2603021001 stat:${state} err:000 text:Your code is 123456`,
    })
  }
  async mo(from: string, text: string, to = 'numguard'): Promise<void> {
    if (!this.#mo) throw new Error('no MO handler registered')
    await this.#mo({ from, to, text, receivedAt: new Date() })
  }
}

export const TEST_ACTOR: Actor = { kind: 'system', component: 'test' }

let seq = 0
/** Queues a notice in a command of its own (as a feature's step would, in its transaction). */
export async function queueTestNotice(app: App, overrides: Partial<QueueNoticeInput> = {}) {
  seq++
  const input: QueueNoticeInput = {
    msisdn: '+85512999000',
    purpose: 'inactivity_warning',
    dedupeKey: `test:${seq}:${Math.random()}`,
    language: 'en',
    template: 'inactivity_warning',
    params: { msisdn: overrides.msisdn ?? '+85512999000', daysLeft: 30, withdrawalDate: '2026-06-01' },
    respectSendWindow: false,
    ...overrides,
  }
  return runCommand(app.deps, TEST_ACTOR, async (ctx) => {
    const out = await queueNotice(ctx, input)
    return out.receipt ? audited(out, [out.receipt]) : { result: out, receipts: [] as [] }
  })
}
