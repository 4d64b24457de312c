import createDebug from 'debug'
import type { Namespace } from 'socket.io'
import { codes, type ErrorCode, type RefusalError } from './errors.js'
import type { Claim } from './lifecycle.js'
import type { RouteMatch } from './matcher.js'
import { withProcessListeners } from './adapter-cleanup.js'
import type { ServerAccess, ServerLike } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:gate')

type Next = (error: Error | null, allow: boolean) => void

/**
 * What the gate asks of the router.
 *
 * @example
 * const hooks: GateHooks = { server, classify, standIn, refuse, capRefusal, authorizeCreation, isLive, created }
 */
export interface GateHooks {
  readonly server: ServerAccess
  /** A CONNECT's name: its route match, or the code to refuse it with. */
  classify(name: string): RouteMatch | ErrorCode
  /** The client-side name a stand-in name replaces (see namespace-alias.ts), if `name` is one. */
  standIn(name: string): string | undefined
  /** Records a refusal and returns the error to send. */
  refuse(code: ErrorCode, message: string, name: string, route?: string): RefusalError
  /** The refusal for one more namespace of this route, when a cap is reached. */
  capRefusal(match: RouteMatch, name: string): RefusalError | undefined
  /**
   * Checks every cap for a client's creation and counts it against its connection and client until it is
   * created or dropped; or returns the refusal.
   */
  claim(match: RouteMatch, name: string): Claim | RefusalError
  /** The route's `authorize` in its 'create' phase: `true` at once for a route without one. */
  authorizeCreation(match: RouteMatch, name: string, auth: unknown): boolean | Promise<boolean>
  /** Whether a namespace is one of the router's live ones. */
  isLive(namespace: Namespace): boolean
  /** A namespace was created under the parent; `claim` when a client's CONNECT made it. */
  created(namespace: Namespace, match: RouteMatch, claim: Claim | undefined, release: () => void): void
}

/**
 * The router's parent namespace: socket.io asks its check about every CONNECT for a namespace that does
 * not exist yet, and every namespace it creates gets the parent's middleware and listeners.
 *
 * @example
 * const gate = createGate(io, hooks)
 * gate.parent.use(admit)
 */
export interface Gate {
  readonly parent: { use(fn: unknown): unknown; on(event: string, fn: unknown): unknown }
  /** Creates a routed namespace for server code (no `authorize`: the server is trusted). */
  create(name: string): Namespace
  /** Whether socket.io asks this parent last, so that its refusals are final. */
  isLast(): boolean
  /** Stops answering CONNECTs: socket.io no longer asks, and a pending answer creates nothing. */
  close(): void
}

/**
 * Installs the parent namespace. A CONNECT is refused before anything is created when its name is
 * invalid or unrouted (if no later parent could take it), when a cap is reached, or when the route's
 * `authorize` says no; the refusal still reaches the client with its code, through a namespace object
 * that refuses it in middleware and is unregistered in the same turn.
 *
 * @example
 * const gate = createGate(io, { server, classify, standIn, refuse, capRefusal, authorizeCreation, isLive, created })
 */
export function createGate(io: ServerLike, hooks: GateHooks): Gate {
  const { server } = hooks
  let pendingRefusal: { name: string; error: RefusalError } | undefined
  // Set while socket.io creates the namespace a client's CONNECT asked for, with the match the check
  // made: matching the name again would double the router's share of a creation.
  let clientCreation: { name: string; match: RouteMatch; claim: Claim; created: boolean } | undefined
  let closed = false

  const refuseConnect = (name: string, next: Next, error: RefusalError): void => {
    pendingRefusal = { name, error }
    try {
      next(null, true)
    } finally {
      pendingRefusal = undefined
      const throwaway = server.lookup(name)
      if (throwaway && !hooks.isLive(throwaway)) server.unregister(name, throwaway)
    }
  }

  const check = (name: string, auth: unknown, next: Next): void => {
    const original = hooks.standIn(name)
    if (original !== undefined) return refuseConnect(name, next, hooks.refuse(codes.INVALID_NAME, 'Invalid namespace', original))
    const match = hooks.classify(name)
    if (typeof match === 'string') {
      // Parents registered after this one get their turn; if there are none, refuse with a code.
      if (!server.isLastParent(check)) return next(null, false)
      // socket.io's own words for a namespace nobody serves, which clients in the field match on.
      return refuseConnect(name, next, hooks.refuse(match, 'Invalid namespace', name))
    }
    const claim = hooks.claim(match, name)
    if (claim instanceof Error) return refuseConnect(name, next, claim)
    const decided = (allowed: boolean): void => {
      // close() may have run while authorize was pending, or the client may have gone: create nothing.
      if (closed || (claim.connection && claim.connection.readyState !== 'open')) {
        claim.drop()
        return next(null, false)
      }
      if (!allowed) {
        claim.drop()
        return refuseConnect(name, next, hooks.refuse(codes.FORBIDDEN, 'not authorized to create this namespace', name, match.route.name))
      }
      // Joining a namespace that appeared meanwhile needs no room; creating one is checked again.
      const stillFull = server.lookup(name) ? undefined : hooks.capRefusal(match, name)
      if (stillFull) {
        claim.drop()
        return refuseConnect(name, next, stillFull)
      }
      const creation = { name, match, claim, created: false }
      clientCreation = creation
      try {
        next(null, true)
      } finally {
        clientCreation = undefined
        // Nothing was created (the namespace appeared in between): the claim was not needed.
        if (!creation.created) claim.drop()
      }
    }
    const allowed = hooks.authorizeCreation(match, name, auth)
    // Without an authorize, no promise and no microtask: the namespace is created in this turn.
    if (allowed === true) return decided(true)
    void Promise.resolve(allowed).then(decided)
  }

  // Whether namespaces get session-aware adapters, whose expiry interval removal must stop.
  const sessions = server.recovery() !== undefined
  const parent = io.of(check)
  const createChild = server.replaceChildCreation(parent, (name: string): Namespace => {
    if (pendingRefusal?.name === name) {
      const throwaway = server.constructDetached(name)
      const error = pendingRefusal.error
      throwaway.use((_socket, next) => next(error))
      server.register(name, throwaway)
      return throwaway
    }
    // socket.io before 4.3.2 and 2.5.0 could call this twice for one name (socket.io#4136).
    const existing = server.lookup(name)
    if (existing) return existing
    const forClient = clientCreation?.name === name ? clientCreation : undefined
    if (forClient) forClient.created = true
    const match = forClient?.match ?? (hooks.classify(name) as RouteMatch)
    const { value: namespace, release } = withProcessListeners((): Namespace => createChild.call(parent, name), sessions)
    server.compactMiddleware(namespace)
    debug('created %s for route %s', name, match.route.name)
    hooks.created(namespace, match, forClient?.claim, release)
    return namespace
  })

  return {
    parent,
    create: (name) => parent.createChild(name),
    isLast: () => server.isLastParent(check),
    close() {
      closed = true
      server.removeParent(check)
    },
  }
}
