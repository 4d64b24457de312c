import type { Emitter } from 'mitt'
import type { Socket } from 'socket.io'
import type { RouteMatch } from './matcher.js'
import { listened, reporter, safeEmit } from './safe-emit.js'
import type { Authorize, AuthorizeContext, AuthorizeOutcome } from './types.js'

/**
 * A route's `authorize`, in its two phases, timed for the `authorized` event.
 *
 * @example
 * const authorizer = createAuthorizer(emitter, server.generation)
 * const allowed = authorizer.creation(match, name, auth)
 */
export interface Authorizer {
  /** The 'create' phase: `true` at once for a route without an `authorize`, with no promise and no microtask. */
  creation(match: RouteMatch, name: string, auth: unknown): true | Promise<boolean>
  /** The 'join' phase of a socket in a routed namespace whose route has `check` as its `authorize`. */
  join(check: Authorize, match: RouteMatch, socket: Socket): Promise<boolean>
}

/**
 * Runs routes' `authorize` for one router: a throw or rejection is a refusal reported on the `error`
 * event, and each call is reported on the `authorized` event, timed, while that event has a handler.
 * `generation` is the socket.io server's (`4` reads a joining socket's `auth`, older ones its query).
 *
 * @example
 * const authorizer = createAuthorizer(emitter, 4)
 * authorizer.join(match.route.authorize, match, socket).then((allowed) => next(allowed ? undefined : refusal))
 */
export function createAuthorizer(emitter: Emitter<Record<string, unknown>>, generation: number): Authorizer {
  // Timed only when someone listens to `authorized`: process.hrtime, not performance.now, for Node 10.
  const run = async (check: Authorize, match: RouteMatch, context: Omit<AuthorizeContext, 'route' | 'params' | 'captures'>): Promise<boolean> => {
    const route = match.route.name
    const started = listened(emitter, 'authorized') ? process.hrtime() : undefined
    let outcome: AuthorizeOutcome
    try {
      outcome = (await check({ ...context, route, params: match.params, captures: match.captures })) === true ? 'allowed' : 'denied'
    } catch (error) {
      reporter(emitter, 'authorize', route, context.name)(error)
      outcome = 'error'
    }
    if (started) {
      const [seconds, nanoseconds] = process.hrtime(started)
      const payload = { route, phase: context.phase, name: context.name, outcome, durationMs: seconds * 1e3 + nanoseconds / 1e6 }
      safeEmit(emitter, 'authorized', payload, reporter(emitter, 'authorized handler', route, context.name))
    }
    return outcome === 'allowed'
  }
  return {
    creation(match, name, auth) {
      const check = match.route.authorize
      return check ? run(check, match, { phase: 'create', name, auth: objectOrEmpty(auth), handshake: undefined, socket: undefined }) : true
    },
    join(check, match, socket) {
      const auth = objectOrEmpty(generation === 4 ? socket.handshake.auth : socket.handshake.query)
      return run(check, match, { phase: 'join', name: socket.nsp.name, auth, handshake: socket.handshake, socket })
    },
  }
}

function objectOrEmpty(value: unknown): Readonly<Record<string, unknown>> {
  // socket.io 2.x hands a buffered CONNECT's index over as its query (see README, "socket.io versions").
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}
