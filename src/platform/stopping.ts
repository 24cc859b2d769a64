// A stop asked of the process (SIGTERM, Ctrl-C): the worker's pass in flight ends at its next task boundary instead
// of running to the end. Every task is its own transaction, so what a pass did not do is simply still due.
const stopping = new WeakSet<object>()

export function requestStop(app: object): void {
  stopping.add(app)
}

/** True once a stop was asked for this app: long loops check it between tasks. */
export function isStopping(app: object): boolean {
  return stopping.has(app)
}
