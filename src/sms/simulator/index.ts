export { type InboxMessage, inboxKey } from './inbox.ts'
export { MoNotAcceptedError } from './mo.ts'
export {
  type MessageIdStyle,
  type SimulatorBehaviour,
  type SimulatorEvent,
  type SimulatorOptions,
  type SimulatorStats,
  type SmscSimulator,
  startSmscSimulator,
} from './simulator.ts'
