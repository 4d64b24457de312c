import createDebug from 'debug'
import mittDefault from 'mitt'
import type { Emitter, EventType, Handler, WildcardHandler } from 'mitt'

const debug = createDebug('socket.io-ns-router:safe-emit')

type MittFactory = <Events extends Record<EventType, unknown>>() => Emitter<Events>

// mitt 3.0.1 ships CommonJS-style types without "type": under `module: nodenext` its default import
// type-checks as the module object (developit/mitt#191) while it runs as the factory. One cast, here.
const mitt = mittDefault as unknown as MittFactory

/**
 * Creates a typed mitt emitter.
 *
 * @example
 * const emitter = createEmitter<{ ping: { at: number } }>()
 * emitter.on('ping', ({ at }) => at)
 */
export function createEmitter<Events extends Record<EventType, unknown>>(): Emitter<Events> {
  return mitt<Events>()
}

/**
 * Calls a user callback so that neither a throw nor a rejected promise escapes: both go to `report`.
 * Router events fire inside socket.io's own callbacks, where an escaping error would crash the process.
 *
 * @example
 * callSafely(() => handler(payload), (error) => log(error))
 */
export function callSafely(call: () => unknown, report: (error: unknown) => void): void {
  try {
    settle(call(), report, undefined)
  } catch (error) {
    reportSafely(report, error, undefined)
  }
}

/**
 * Emits on a mitt emitter like `emitter.emit`, but calls every handler (typed ones, then `'*'`) even
 * when an earlier one throws, and hands each throw or rejection to `report`, with the payload.
 *
 * @example
 * safeEmit(emitter, 'dynamic.group.chat', payload, (error) => emitter.emit('error', { error, during: 'handler' }))
 */
export function safeEmit<Events extends Record<EventType, unknown>, Key extends keyof Events>(
  emitter: Emitter<Events>,
  type: Key,
  payload: Events[Key],
  report: (error: unknown, payload: Events[Key]) => void,
): void {
  // Copies, as mitt does, so that a handler may remove itself. No closure per handler: this runs for
  // every socket that joins a routed namespace.
  const typed = emitter.all.get(type) as Handler<Events[Key]>[] | undefined
  const wildcard = emitter.all.get('*') as WildcardHandler<Events>[] | undefined
  // One handler, the common case, needs no copy: nothing is left to iterate once it runs.
  if (typed !== undefined && typed.length === 1) invoke(typed[0] as Handler<Events[Key]>, payload, report)
  else if (typed !== undefined && typed.length > 0) for (const handler of typed.slice()) invoke(handler, payload, report)
  if (wildcard !== undefined && wildcard.length > 0) {
    for (const handler of wildcard.slice()) {
      try {
        settle(handler(type, payload), report, payload)
      } catch (error) {
        reportSafely(report, error, payload)
      }
    }
  }
}

/**
 * Whether an event has a handler (its own or `'*'`): a costly payload is only built then.
 *
 * @example
 * if (listened(emitter, 'authorized')) safeEmit(emitter, 'authorized', timed(), report)
 */
export function listened(emitter: Emitter<Record<string, unknown>>, type: string): boolean {
  return (emitter.all.get(type)?.length ?? 0) + (emitter.all.get('*')?.length ?? 0) > 0
}

/**
 * The reporter of a failed router callback: the failure becomes the router's `error` event, saying
 * during what it happened. A failing `error` handler is only logged.
 *
 * @example
 * safeEmit(emitter, 'refused', payload, reporter(emitter, 'refused handler', 'chat', '/c/1'))
 */
export function reporter(emitter: Emitter<Record<string, unknown>>, during: string, route?: string, name?: string): (error: unknown) => void {
  return (error) => safeEmit(emitter, 'error', { error, during, route, name }, (failure) => debug('error handler failed: %O', failure))
}

// One handler's call: a throw is reported, as a rejection is (`settle`).
function invoke<P>(handler: (payload: P) => unknown, payload: P, report: (error: unknown, payload: P) => void): void {
  try {
    settle(handler(payload), report, payload)
  } catch (error) {
    reportSafely(report, error, payload)
  }
}

// A handler's result: a rejected promise is reported like a throw. The payload goes to `report`, so that
// one reporter serves every emit and none is made per emit.
function settle<P>(result: unknown, report: (error: unknown, payload: P) => void, payload: P): void {
  if (isThenable(result)) result.then(undefined, (error: unknown) => reportSafely(report, error, payload))
}

function reportSafely<P>(report: (error: unknown, payload: P) => void, error: unknown, payload: P): void {
  debug('callback failed: %O', error)
  try {
    report(error, payload)
  } catch (failure) {
    // An error handler that throws has nowhere left to report to.
    debug('error reporter failed too: %O', failure)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
