// The submit_sm for one encoded part: our own bytes in short_message (a Buffer, so the package never re-encodes),
// data_coding and esm_class set explicitly, a delivery receipt requested for every part.
import { gsm7PackedToUnpacked } from '../encoding.ts'
import { type EncodedPart, SmppSubmitError, type SmsPriority } from '../transport.ts'
import { toSmppAddress } from './addresses.ts'

/** short_message holds at most 254 octets (SMPP 3.4 §5.2.22). */
const MAX_SHORT_MESSAGE = 254

export function submitPduFields(
  input: { to: string; from: string; part: EncodedPart; priority: SmsPriority },
  gsm7Packing: 'packed' | 'unpacked',
): Record<string, unknown> {
  const { to, from, part, priority } = input
  if (!to.trim()) throw new SmppSubmitError('rejected', 'submitPart: "to" is empty')
  if (!from.trim()) throw new SmppSubmitError('rejected', 'submitPart: "from" is empty')
  const udhi = (part.esmClass & 0x40) !== 0
  const body =
    part.dataCoding === 0x00 && gsm7Packing === 'unpacked'
      ? gsm7PackedToUnpacked(part.shortMessage, udhi)
      : part.shortMessage
  if (body.length > MAX_SHORT_MESSAGE) {
    throw new SmppSubmitError('rejected', `part ${part.index} is ${body.length} octets (max ${MAX_SHORT_MESSAGE})`)
  }
  const src = toSmppAddress(from)
  const dst = toSmppAddress(to)
  return {
    source_addr_ton: src.ton,
    source_addr_npi: src.npi,
    source_addr: src.addr,
    dest_addr_ton: dst.ton,
    dest_addr_npi: dst.npi,
    destination_addr: dst.addr,
    esm_class: part.esmClass,
    priority_flag: priority === 'otp' ? 1 : 0,
    registered_delivery: 1,
    data_coding: part.dataCoding,
    short_message: body,
  }
}
