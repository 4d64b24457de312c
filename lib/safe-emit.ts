import createDebug from 'debug'
import type { Emitter, EventType, Handler, WildcardHandler } from 'mitt'

const debug = createDebug('socket.io-ns-router:safe-emit')

/**
 * Calls a user callback so that neither a throw nor a rejected promise escapes: both go to `report`.
 * Router events fire inside socket.io's own callbacks, where an escaping error would crash the process.
 *
 * @example
 * callSafely(() => handler(payload), (error) => log(error))
 */
export function callSafely(call: () => unknown, report: (error: unknown) => void): void {
  try {
    settle(call(), report)
  } catch (error) {
    reportSafely(report, error)
  }
}

/**
 * Emits on a mitt emitter like `emitter.emit`, but calls every handler (typed ones, then `'*'`) even
 * when an earlier one throws, and hands each throw or rejection to `report`.
 *
 * @example
 * safeEmit(emitter, 'dynamic.group.chat', payload, (error) => emitter.emit('error', { error, during: 'handler' }))
 */
export function safeEmit<Events extends Record<EventType, unknown>, Key extends keyof Events>(
  emitter: Emitter<Events>,
  type: Key,
  payload: Events[Key],
  report: (error: unknown) => void,
): void {
  // Copies, as mitt does, so that a handler may remove itself. No closure per handler: this runs for
  // every socket that joins a routed namespace.
  const typed = emitter.all.get(type) as Handler<Events[Key]>[] | undefined
  const wildcard = emitter.all.get('*') as WildcardHandler<Events>[] | undefined
  if (typed !== undefined && typed.length > 0) {
    for (const handler of typed.slice()) {
      try {
        settle(handler(payload), report)
      } catch (error) {
        reportSafely(report, error)
      }
    }
  }
  if (wildcard !== undefined && wildcard.length > 0) {
    for (const handler of wildcard.slice()) {
      try {
        settle(handler(type, payload), report)
      } catch (error) {
        reportSafely(report, error)
      }
    }
  }
}

// A handler's result: a rejected promise is reported like a throw.
function settle(result: unknown, report: (error: unknown) => void): void {
  if (isThenable(result)) result.then(undefined, (error: unknown) => reportSafely(report, error))
}

function reportSafely(report: (error: unknown) => void, error: unknown): void {
  debug('callback failed: %O', error)
  try {
    report(error)
  } catch (failure) {
    // An error handler that throws has nowhere left to report to.
    debug('error reporter failed too: %O', failure)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
