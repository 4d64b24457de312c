import type { Emitter } from 'mitt'
import type { Namespace, Socket } from 'socket.io'
import { subscriptionsConfirmed } from './adapter-cleanup.js'
import type { Authorizer } from './authorize.js'
import { codes } from './errors.js'
import type { Lifecycle } from './lifecycle.js'
import type { RouteMatch } from './matcher.js'
import type { Quotas } from './quotas.js'
import type { Refusals } from './refusals.js'
import { reporter, safeEmit } from './safe-emit.js'

/**
 * The steps a joining socket goes through, and the router's emitter for `dynamic.group.<route>`.
 *
 * @example
 * const steps: JoinSteps = { members, quotas, authorizer, refusals, emitter }
 */
export interface JoinSteps {
  readonly members: Lifecycle
  readonly quotas: Quotas
  readonly authorizer: Authorizer
  readonly refusals: Refusals
  readonly emitter: Emitter<Record<string, unknown>>
}

/**
 * A socket's way into a routed namespace: `admit` is the namespace's first middleware, `announce` its
 * `connection` listener.
 *
 * @example
 * namespace.use(join.admit)
 * namespace.on('connection', join.announce)
 */
export interface Join {
  admit(socket: Socket, next: (error?: Error) => void): void
  announce(socket: Socket): void
}

/**
 * Creates the join of one router. A socket is refused when its namespace was removed on its way in
 * (`NS_UNAVAILABLE`) or its connection is at its bound (`NS_CONNECTION_LIMIT`); its CONNECT ack waits
 * until a new namespace's adapter confirmed its subscriptions, so that a connected client misses no
 * broadcast of another node; then the route's `authorize` runs in its 'join' phase (`NS_FORBIDDEN`).
 * A socket that connected is announced as `dynamic.group.<route>`.
 *
 * @example
 * const join = createJoin({ members, quotas, authorizer, refusals, emitter })
 */
export function createJoin(steps: JoinSteps): Join {
  const { members, quotas, authorizer, refusals, emitter } = steps
  // The first middleware of every routed namespace.
  const admit = (socket: Socket, next: (error?: Error) => void): void => {
    const match = members.matchOf(socket.nsp)
    // socket.io 4.8 creates a socket a microtask after it looked its namespace up: the namespace
    // may have been removed in between, and a socket must not join a removed namespace.
    if (!match) return next(refusals.removedWhileJoining(socket.nsp.name))
    // The CONNECT ack waits until other nodes' broadcasts reach this node's new namespace: a client that is
    // connected misses none. Only a namespace whose adapter's subscriptions are not confirmed yet waits.
    const subscribing = subscriptionsConfirmed(socket.nsp)
    if (members.enter(socket, subscribing !== undefined || match.route.authorize !== undefined)) {
      return next(quotas.connectionRefusal(socket.nsp.name, match.route.name))
    }
    if (subscribing) return void subscribing.then(() => admitted(socket, next))
    admitted(socket, next, match)
  }

  // Past the connection's bound.
  const admitted = (socket: Socket, next: (error?: Error) => void, known?: RouteMatch): void => {
    const match = known ?? members.matchOf(socket.nsp)
    // Removed while its subscriptions were being confirmed (router.close()).
    if (!match) return next(refusals.removedWhileJoining(socket.nsp.name))
    const check = match.route.authorize
    if (!check) return next()
    void authorizer.join(check, match, socket).then((allowed) => {
      if (allowed) return next()
      next(refusals.refuse(codes.FORBIDDEN, 'not authorized to join this namespace', socket.nsp.name, match.route.name))
      members.settle(socket, false)
    })
  }

  // Event names built once per route, and a failure report built only for a failure: this runs for every
  // socket that joins.
  const joinEvents = new Map<string, string>()
  const reportJoin = (error: unknown, payload: unknown): void => {
    const { route, namespace } = payload as { route: string; namespace: Namespace }
    reporter(emitter, 'dynamic.group handler', route, namespace.name)(error)
  }
  const announce = (socket: Socket): void => {
    // Only live routed namespaces carry this listener (removal drops it).
    const match = members.matchOf(socket.nsp) as RouteMatch
    members.settle(socket, true)
    const route = match.route.name
    let type = joinEvents.get(route)
    if (type === undefined) joinEvents.set(route, (type = `dynamic.group.${route}`))
    const payload = { route, socket, namespace: socket.nsp, params: match.params, captures: match.captures }
    safeEmit(emitter, type, payload, reportJoin)
  }

  return { admit, announce }
}
