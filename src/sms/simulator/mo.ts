// Mobile-originated messages from the simulator's handsets: one deliver_sm per part (concatenated like a phone
// would), resolved once the client acknowledged every part.
import { encodeSms, gsm7PackedToUnpacked } from '../encoding.ts'
import { toSmppAddress } from '../smpp/addresses.ts'
import { newPdu, type SmppSession, Status } from '../smpp/package.ts'

export class MoNotAcceptedError extends Error {
  readonly code = 'mo_not_accepted'
  /** The client's deliver_sm_resp command_status, or null when it never answered. */
  readonly status: number | null
  constructor(message: string, status: number | null = null) {
    super(message)
    this.name = 'MoNotAcceptedError'
    this.status = status
  }
}

export async function sendMo(
  target: SmppSession,
  message: { from: string; to: string; text: string; reference: number },
  options: { gsm7Packed: boolean; onSessionClose(session: SmppSession, fn: () => void): () => void },
): Promise<void> {
  const { gsm7Packed } = options
  const src = toSmppAddress(message.from)
  const dst = toSmppAddress(message.to)
  const answers = encodeSms(message.text, message.reference).map(
    (part) =>
      new Promise<void>((resolve, reject) => {
        const udhi = (part.esmClass & 0x40) !== 0
        const body =
          part.dataCoding === 0x00 && !gsm7Packed ? gsm7PackedToUnpacked(part.shortMessage, udhi) : part.shortMessage
        const pdu = newPdu('deliver_sm', {
          source_addr_ton: src.ton,
          source_addr_npi: src.npi,
          source_addr: src.addr,
          dest_addr_ton: dst.ton,
          dest_addr_npi: dst.npi,
          destination_addr: dst.addr,
          esm_class: part.esmClass,
          data_coding: part.dataCoding,
          short_message: body,
        })
        const cancel = options.onSessionClose(target, () =>
          reject(new MoNotAcceptedError('injectMo: the client disconnected before acknowledging')),
        )
        const sent = target.send(pdu, (resp) => {
          cancel()
          if (resp.command_status === Status.ROK) resolve()
          else {
            const status = resp.command_status
            reject(new MoNotAcceptedError(`injectMo: client answered 0x${status.toString(16)}`, status))
          }
        })
        if (!sent) {
          cancel()
          reject(new MoNotAcceptedError('injectMo: the client socket is not writable'))
        }
      }),
  )
  await Promise.all(answers)
}
