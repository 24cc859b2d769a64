// Typed access to the `smpp` package (0.5.1, plain CommonJS without types). Only what numguard uses is typed.
//
// The package decodes short_message on receipt with its own idea of GSM-7 (one septet per octet, unknown
// characters become spaces) and would encode strings as data_coding 0x01. numguard encodes and decodes every
// body itself, so the message filters are switched off here: short_message and message_payload stay raw Buffers
// both ways. This is process-wide, which is intended: numguard is the only user of the package.

import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type { Server as NetServer, Socket } from 'node:net'

export interface Pdu {
  command: string
  command_id: number
  command_status: number
  sequence_number: number
  [field: string]: unknown
  isResponse(): boolean
  response(options?: Record<string, unknown>): Pdu
}

export interface SmppSession extends EventEmitter {
  socket: Socket
  send(pdu: Pdu, responseCallback?: (resp: Pdu) => void, sendCallback?: (pdu: Pdu) => void): boolean
  close(callback?: () => void): void
  destroy(callback?: () => void): void
}

export interface SmppServer extends NetServer {
  sessions: SmppSession[]
}

interface FieldDef {
  filter?: { encode(this: unknown, value: unknown): unknown; decode(this: unknown, value: unknown): unknown }
}

interface SmppModule {
  Session: new (options: Record<string, unknown>) => SmppSession
  PDU: new (command: string, options?: Record<string, unknown>) => Pdu
  createServer(options: Record<string, unknown>, listener?: (session: SmppSession) => void): SmppServer
  commands: Record<string, { id: number; params?: Record<string, FieldDef> }>
  tlvs: Record<string, FieldDef & { id: number }>
}

const smpp = createRequire(import.meta.url)('smpp') as SmppModule

const raw = {
  encode: (value: unknown) => value,
  decode: (value: unknown) => value,
}
for (const def of Object.values(smpp.commands)) {
  if (def.params?.short_message) def.params.short_message.filter = raw
}
if (smpp.tlvs.message_payload) smpp.tlvs.message_payload.filter = raw

export function newSession(options: Record<string, unknown>): SmppSession {
  return new smpp.Session(options)
}

export function newPdu(command: string, fields: Record<string, unknown> = {}): Pdu {
  return new smpp.PDU(command, fields)
}

export function createSmppServer(
  options: Record<string, unknown>,
  listener: (session: SmppSession) => void,
): SmppServer {
  return smpp.createServer(options, listener)
}

/** SMPP 3.4 command_status values numguard reads or sends (§5.1.3). */
export const Status = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RTHROTTLED: 0x58,
  RX_T_APPN: 0x64,
} as const

/** TLV tags read by hand (the package parses them, names given for clarity). */
export const MessageStateCodes: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
}

export function asBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'latin1')
  return Buffer.alloc(0)
}

export function asString(value: unknown): string {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString('latin1')
  return ''
}

export function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0
}
