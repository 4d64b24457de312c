import createDebug from 'debug'
import type { Emitter } from 'mitt'
import type { Namespace, Socket } from 'socket.io'
import { guardAdapterClients, withProcessListeners } from './adapter-cleanup.js'
import type { Authorizer } from './authorize.js'
import { codes, type RefusalError } from './errors.js'
import type { Join } from './join.js'
import type { Claim, Lifecycle } from './lifecycle.js'
import { classify, resolve, type Matcher, type RouteMatch } from './matcher.js'
import { bridgeGenerations } from './mixed-cluster.js'
import { createAliases } from './namespace-alias.js'
import type { Quotas } from './quotas.js'
import type { Refusals } from './refusals.js'
import { listened, reporter, safeEmit } from './safe-emit.js'
import type { ServerAccess, ServerLike } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:parent')

// Object.hasOwn is Node 16.9+: legacy servers run older Node.
const { hasOwnProperty } = Object.prototype

type Next = (error: Error | null, allow: boolean) => void

/**
 * socket.io's parent namespace of a router, registered before the steps that use it exist: its check
 * answers no until {@link createParent} puts the router's in.
 *
 * @example
 * const opened = openParent(io)
 * const members = createLifecycle(server, opened.namespace, options)
 */
export interface OpenedParent {
  /** socket.io's own parent namespace object. */
  readonly namespace: ParentNamespace
  /** The check socket.io knows the parent by (`server.isLastParent(check)`, `server.removeParent(check)`). */
  readonly check: Check
  answer: Check
}

type Check = (name: string, auth: unknown, next: Next) => void
type ParentNamespace = ReturnType<ServerLike['of']>

/**
 * Registers the router's parent namespace with socket.io, at the place in socket.io's order of parents
 * that the router takes.
 *
 * @example
 * const opened = openParent(io)
 */
export function openParent(io: ServerLike): OpenedParent {
  const check: Check = (name, auth, next) => opened.answer(name, auth, next)
  const opened = { namespace: io.of(check), check, answer: ((_name, _auth, next) => next(null, false)) as Check }
  return opened
}

/**
 * The steps below the parent namespace, and the router's emitter for its events.
 *
 * @example
 * const steps: ParentSteps = { server, matcher, maxNameLength: 256, emitter, refusals, quotas, authorizer, members, join }
 */
export interface ParentSteps {
  readonly server: ServerAccess
  readonly matcher: Matcher
  readonly maxNameLength: number
  readonly emitter: Emitter<Record<string, unknown>>
  readonly refusals: Refusals
  /** The limits: caps and bounds, checked before `authorize`, and the caps again after it. */
  readonly quotas: Quotas
  readonly authorizer: Authorizer
  /** The membership of the namespaces the parent creates (lifecycle.ts), over `opened.namespace`. */
  readonly members: Lifecycle
  /** The way of a socket into a routed namespace: the parent's middleware and `connection` listener. */
  readonly join: Join
}

/**
 * The router's parent namespace: socket.io asks its check about every CONNECT for a namespace that does
 * not exist yet, every namespace it creates gets the parent's middleware and listeners, and `members`
 * keeps the namespaces it created until they are removed.
 *
 * @example
 * const parent = createParent(io, openParent(io), steps)
 * parent.create('/category/1/item/2/chat')
 */
export interface Parent {
  /** Creates a routed namespace for server code (no `authorize`: the server is trusted; no caps either). */
  create(name: string): Namespace
  /** Namespaces created so far. */
  created(): number
  /**
   * Stops answering CONNECTs (socket.io no longer asks, and a pending answer creates nothing), gives
   * `io.of` back, and removes every namespace it created.
   */
  close(): Promise<void>
}

/**
 * Installs the parent namespace. A CONNECT is refused before anything is created when its name is
 * invalid or unrouted (if no later parent could take it), when a limit is reached (quotas.ts), or when
 * the route's `authorize` says no; the refusal still reaches the client with its code, through a
 * namespace object that refuses it in middleware and is unregistered in the same turn. A socket joining
 * a routed namespace goes through `join`, which every child gets from the parent.
 *
 * @example
 * const parent = createParent(io, opened, { server, matcher, maxNameLength: 256, emitter, refusals, quotas, authorizer, members, join })
 */
export function createParent(io: ServerLike, opened: OpenedParent, steps: ParentSteps): Parent {
  const { server, matcher, maxNameLength, emitter, refusals, quotas, authorizer, members, join } = steps
  let pendingRefusal: { name: string; error: RefusalError } | undefined
  // Set while socket.io creates the namespace a client's CONNECT asked for, with the match the check
  // made: matching the name again would double the router's share of a creation.
  let clientCreation: { name: string; match: RouteMatch; claim: Claim; created: boolean } | undefined
  let closed = false
  let created = 0
  // Stand-in names for names a socket.io-client 2 asked for that socket.io itself would rewrite
  // before any check: stand-in → the name the client asked for.
  // The Redis clients the adapters share, guarded while the router lives: a broadcast in flight when Redis
  // goes away must not end the process (adapter-cleanup.ts). Those of the main namespace's adapter at once,
  // any others (an adapter set after the router) as namespaces are created.
  const guarded = new Map<object, () => void>()
  guardAdapterClients(io.sockets, guarded)
  // Whether namespaces get session-aware adapters, whose expiry interval removal must stop.
  const sessions = server.recovery() !== undefined

  const parent = opened.namespace as ParentNamespace & { createChild(name: string): Namespace }
  const { check } = opened

  // The `//x` spelling of the io-handler snippet's frontend snippet, and the stand-ins for names socket.io
  // would rewrite before this check (namespace-alias.ts).
  const aliases = createAliases({ server, matcher, maxNameLength, parentCheck: check })
  const stopWatching = server.onEngineConnection(aliases.watch)

  // Runs first in every routed namespace: createChild copies the parent's middleware and listeners to each child.
  parent.use(join.admit)
  parent.on('connection', join.announce)

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
    const match = forClient?.match ?? (resolve(matcher, name, maxNameLength) as RouteMatch)
    const { value: namespace, release } = withProcessListeners((): Namespace => createChild.call(parent, name), sessions)
    server.compactMiddleware(namespace)
    debug('created %s for route %s', name, match.route.name)
    guardAdapterClients(namespace, guarded)
    // Right after creation: a socket.io 2 Redis adapter's request listener is found among the last ones
    // added. Its removal (adapter-cleanup.ts) undoes it.
    bridgeGenerations(namespace)
    members.adopt(namespace, match, forClient?.claim, release)
    created++
    if (listened(emitter, 'namespace.created')) {
      safeEmit(emitter, 'namespace.created', { route: match.route.name, name, namespace }, reporter(emitter, 'namespace.created handler', match.route.name, name))
    }
    return namespace
  })

  // `io.of(name)` for a routed name goes through the parent too, so it cannot make a namespace that
  // skips `authorize` (socket.io#4164). Server-side creation is never refused for caps: the caps bound
  // what clients create, and a flood of clients must not break the server's own emits.
  const of = io.of
  io.of = function (this: ServerLike, name: unknown, fn?: unknown) {
    if (typeof name === 'string') {
      const full = name.startsWith('/') ? name : `/${name}`
      const match = server.lookup(full) ? undefined : resolve(matcher, full, maxNameLength)
      if (match) {
        const namespace = parent.createChild(full)
        if (typeof fn === 'function') namespace.on('connect', fn as (socket: Socket) => void)
        return namespace
      }
    }
    return of.call(this, name, fn)
  }

  opened.answer = answer
  return {
    create: (name) => parent.createChild(name),
    created: () => created,
    async close() {
      closed = true
      server.removeParent(check)
      if (hasOwnProperty.call(io, 'of')) delete (io as { of?: unknown }).of
      stopWatching()
      for (const connection of server.engineConnections()) aliases.unwatch(connection)
      await members.removeAll()
      for (const unguard of guarded.values()) unguard()
      guarded.clear()
    },
  }

  function refuseConnect(name: string, next: Next, error: RefusalError): void {
    pendingRefusal = { name, error }
    try {
      next(null, true)
    } finally {
      pendingRefusal = undefined
      const throwaway = server.lookup(name)
      if (throwaway && !members.matchOf(throwaway)) server.unregister(name, throwaway)
    }
  }

  // socket.io's question about a CONNECT for a namespace that does not exist yet.
  function answer(name: string, auth: unknown, next: Next): void {
    const original = aliases.standIn(name)
    if (original !== undefined) return refuseConnect(name, next, refusals.refuse(codes.INVALID_NAME, 'Invalid namespace', original))
    const match = classify(matcher, name, maxNameLength)
    if (typeof match === 'string') {
      // Parents registered after this one get their turn; if there are none, refuse with a code.
      if (!server.isLastParent(check)) return next(null, false)
      // socket.io's own words for a namespace nobody serves, which clients in the field match on.
      return refuseConnect(name, next, refusals.refuse(match, 'Invalid namespace', name))
    }
    const claim = quotas.claim(match, name, aliases.takeConnecting(name))
    if (claim instanceof Error) return refuseConnect(name, next, claim)
    const allowed = authorizer.creation(match, name, auth)
    // Without an authorize, no promise, no microtask and no closure: the namespace is created in this turn.
    if (allowed === true) return decided(name, match, claim, next, true)
    void allowed.then((yes) => decided(name, match, claim, next, yes))
  }

  // The route's `authorize` answered a client's creation that passed the limits.
  function decided(name: string, match: RouteMatch, claim: Claim, next: Next, allowed: boolean): void {
    // close() may have run while authorize was pending, or the client may have gone: create nothing.
    if (closed || (claim.connection && claim.connection.readyState !== 'open')) {
      claim.drop()
      return next(null, false)
    }
    if (!allowed) {
      claim.drop()
      return refuseConnect(name, next, refusals.refuse(codes.FORBIDDEN, 'not authorized to create this namespace', name, match.route.name))
    }
    // Joining a namespace that appeared meanwhile needs no room; creating one is checked again.
    const stillFull = server.lookup(name) ? undefined : quotas.capRefusal(match, name)
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
}
