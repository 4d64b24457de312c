import createDebug from 'debug'
import type { Emitter } from 'mitt'
import { codes, RefusalError, type ErrorCode } from './errors.js'
import { reporter, safeEmit } from './safe-emit.js'

const debug = createDebug('socket.io-ns-router:refusals')

/**
 * Where every step of the admission path records what it refused.
 *
 * @example
 * const refusals = createRefusals(emitter)
 * next(refusals.refuse(codes.FORBIDDEN, 'not authorized to join this namespace', socket.nsp.name, 'chat'))
 */
export interface Refusals {
  /** Counts a refusal, announces it as `refused`, and returns the error to send to the client. */
  refuse(code: ErrorCode, message: string, name: string, route?: string): RefusalError
  /** The refusal of a socket that reached a namespace removed while it was joining (`NS_UNAVAILABLE`). */
  removedWhileJoining(name: string): RefusalError
  /** Refusals so far, by code (a copy). */
  counts(): Record<string, number>
}

/**
 * Creates the refusal record of one router: a count per code (`router.stats().refusals`) and the
 * `refused` event on `emitter`.
 *
 * @example
 * const refusals = createRefusals(emitter)
 * refusals.refuse(codes.NO_ROUTE, 'Invalid namespace', '/nowhere')
 */
export function createRefusals(emitter: Emitter<Record<string, unknown>>): Refusals {
  const counted: Record<string, number> = {}
  const refuse = (code: ErrorCode, message: string, name: string, route?: string): RefusalError => {
    debug('refused %s: %s', name.slice(0, 100), code)
    counted[code] = (counted[code] ?? 0) + 1
    safeEmit(emitter, 'refused', { code, message, name, route }, reporter(emitter, 'refused handler', route, name))
    return new RefusalError(code, message)
  }
  return {
    refuse,
    removedWhileJoining: (name) => refuse(codes.UNAVAILABLE, 'the namespace was removed while joining; connect again', name),
    counts: () => ({ ...counted }),
  }
}
