import createDebug from 'debug'
import type { Emitter } from 'mitt'
import type { Namespace, Socket } from 'socket.io'
import { createAuthorizer } from './authorize.js'
import { guardAdapterClients, subscriptionsConfirmed } from './adapter-cleanup.js'
import { clientKeyOf } from './client-key.js'
import { codes, NamespaceRouterError, type ErrorCode, type RefusalError } from './errors.js'
import { createGate } from './gate.js'
import { fromEntries } from './from-entries.js'
import { createLifecycle, type Claim } from './lifecycle.js'
import { bridgeGenerations } from './mixed-cluster.js'
import { compileRoutes, type RouteMatch } from './matcher.js'
import { createAliases } from './namespace-alias.js'
import { isProblem, parseName } from './name.js'
import { resolveOptions, type RouterOptions } from './options.js'
import { guardRoot } from './root.js'
import { createRouteWide, type RouteHandle } from './route-wide.js'
import { createRefusals } from './refusals.js'
import { createEmitter, listened, reporter, safeEmit } from './safe-emit.js'
import { accessServer, type EngineConnection, type ServerLike } from './server-compat.js'
import type { ParamsOf, PathParams, RouteInput, RoutePatterns, RouterEvents } from './types.js'

// Object.hasOwn is Node 16.9+: legacy servers run older Node.
const { hasOwnProperty } = Object.prototype

const debug = createDebug('socket.io-ns-router:router')

/**
 * Names of the routes that have a path pattern (the only ones reverse routing can build).
 *
 * @example
 * type N = PathRouteNames<{ chat: '/c/:id'; legacy: RegExp }> // 'chat'
 */
export type PathRouteNames<Routes extends RoutePatterns> = {
  [K in keyof Routes & string]: Routes[K] extends string ? K : never
}[keyof Routes & string]

/**
 * What `router.stats()` reports.
 *
 * @example
 * const { namespaces, byRoute, refusals } = router.stats()
 */
export interface RouterStats {
  /** Live routed namespaces. */
  readonly namespaces: number
  /** Live routed namespaces per route (every route is listed). */
  readonly byRoute: Readonly<Record<string, number>>
  /** Connected sockets in routed namespaces. */
  readonly sockets: number
  /** Connected sockets in routed namespaces per route (every route is listed). */
  readonly socketsByRoute: Readonly<Record<string, number>>
  /** Sockets in a routed namespace's middleware, not connected yet. */
  readonly joining: number
  /** Refusals since the router was created, by code. */
  readonly refusals: Readonly<Record<string, number>>
  /** Namespaces created and removed since the router was created. */
  readonly created: number
  readonly removed: number
}

/**
 * A namespace router over a socket.io server.
 *
 * @example
 * router.on('dynamic.group.chat', ({ socket, params }) => socket.emit('topic', params.itemId))
 * router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('news')
 */
export interface NamespaceRouter<Routes extends RoutePatterns> {
  /** The mitt emitter behind `on` and `off`, for `'*'` handlers and `all`. */
  readonly emitter: Emitter<RouterEvents<Routes>>
  readonly on: Emitter<RouterEvents<Routes>>['on']
  readonly off: Emitter<RouterEvents<Routes>>['off']
  /**
   * The live namespace of a path route for these params, created (with the route's setup) if needed.
   * Always ask again rather than keep the result: an empty namespace is removed after the grace period.
   */
  namespace<K extends PathRouteNames<Routes>>(route: K, params: PathParams<Routes[K] & string>): Namespace
  /**
   * Every live namespace of a route on every node: emit to them, count them, list them, optionally only
   * those whose params match (`where`). See README, "Route-wide operations".
   */
  route<K extends keyof Routes & string>(route: K): RouteHandle<ParamsOf<Routes[K]>>
  /** This node's counts. */
  stats(): RouterStats
  /** Detaches everything the router attached, and closes and removes the namespaces it created. */
  close(): Promise<void>
}

/**
 * Routes socket.io namespaces by name: each namespace matching a route is created on first use, set
 * up once, guarded by the route's `authorize`, and each of its sockets is announced as
 * `dynamic.group.<route>`. Works for v2, v3 and v4 clients on socket.io 2.1 to 4.x servers.
 *
 * @example
 * const router = createNamespaceRouter(io, { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
 * router.on('dynamic.group.chat', ({ socket, params }) => {
 *   socket.on('message', (text) => socket.broadcast.emit('message', text, params.itemId))
 * })
 */
export function createNamespaceRouter<const Routes extends RoutePatterns>(
  io: ServerLike,
  options: RouterOptions<Routes>,
): NamespaceRouter<Routes> {
  const { routes, ...rest } = options
  const settings = resolveOptions(rest)
  const matcher = compileRoutes(routes as Readonly<Record<string, RouteInput>>, settings)
  const server = accessServer(io)
  // Internally untyped: the per-route event types are only for the router's users.
  const emitter = createEmitter<Record<string, unknown>>()
  const refusals = createRefusals(emitter)
  const authorizer = createAuthorizer(emitter, server.generation)
  let created = 0
  // The Redis clients the adapters share, guarded while the router lives: a broadcast in flight when Redis
  // goes away must not end the process (adapter-cleanup.ts). Those of the main namespace's adapter at once,
  // any others (an adapter set after the router) as namespaces are created.
  const guarded = new Map<object, () => void>()
  guardAdapterClients(io.sockets, guarded)
  let closed = false
  // Stand-in names for names a socket.io-client 2 asked for that socket.io itself would rewrite
  // before any check: stand-in → the name the client asked for.
  const standIns = new Map<string, string>()
  let standInCount = 0

  const report = (during: string, route?: string, name?: string) => reporter(emitter, during, route, name)
  const refusal = refusals.refuse

  // Namespaces are only ever created under canonical names; other spellings are aliased per
  // connection before socket.io sees them (namespace-alias.ts), or refused.
  const classify = (name: unknown): RouteMatch | ErrorCode => {
    const parsed = parseName(name, settings.maxNameLength)
    if (isProblem(parsed) || parsed.canonical !== name) return codes.INVALID_NAME
    return matcher.match(parsed.canonical) ?? codes.NO_ROUTE
  }
  const resolve = (name: unknown): RouteMatch | undefined => {
    const found = classify(name)
    return typeof found === 'string' ? undefined : found
  }

  // Runs first in every routed namespace: createChild copies the parent's middleware to each child.
  const admit = (socket: Socket, next: (error?: Error) => void): void => {
    const match = lifecycle.matchOf(socket.nsp)
    // socket.io 4.8 creates a socket a microtask after it looked its namespace up: the namespace
    // may have been removed in between, and a socket must not join a removed namespace.
    if (!match) return next(refusal(codes.UNAVAILABLE, 'the namespace was removed while joining; connect again', socket.nsp.name))
    if (lifecycle.enter(socket)) {
      return next(refusal(codes.CONNECTION_LIMIT, `too many namespaces on this connection (${settings.maxNamespacesPerConnection})`, socket.nsp.name, match.route.name))
    }
    // The CONNECT ack waits until other nodes' broadcasts reach this node's new namespace: a client that is
    // connected misses none. Only a namespace whose adapter's subscriptions are not confirmed yet waits.
    const subscribing = subscriptionsConfirmed(socket.nsp)
    if (subscribing) return void subscribing.then(() => admitted(socket, next))
    admitted(socket, next, match)
  }

  // The router's middleware, past the connection's bound.
  const admitted = (socket: Socket, next: (error?: Error) => void, known?: RouteMatch): void => {
    const match = known ?? lifecycle.matchOf(socket.nsp)
    // Removed while its subscriptions were being confirmed (router.close()).
    if (!match) return next(refusal(codes.UNAVAILABLE, 'the namespace was removed while joining; connect again', socket.nsp.name))
    const check = match.route.authorize
    if (!check) return next()
    void authorizer.join(check, match, socket).then((allowed) => {
      if (allowed) return next()
      next(refusal(codes.FORBIDDEN, 'not authorized to join this namespace', socket.nsp.name, match.route.name))
      lifecycle.settle(socket, false)
    })
  }

  // Event names built once per route, and a failure report built only for a failure: this runs for every
  // socket that joins.
  const joinEvents = new Map<string, string>()
  const reportJoin = (error: unknown, payload: unknown): void => {
    const { route, namespace } = payload as { route: string; namespace: Namespace }
    report('dynamic.group handler', route, namespace.name)(error)
  }
  const announce = (socket: Socket): void => {
    // Only live children of the router's parent carry this listener (removal drops it).
    const match = lifecycle.matchOf(socket.nsp) as RouteMatch
    lifecycle.settle(socket, true)
    const route = match.route.name
    let type = joinEvents.get(route)
    if (type === undefined) joinEvents.set(route, (type = `dynamic.group.${route}`))
    const payload = { route, socket, namespace: socket.nsp, params: match.params, captures: match.captures }
    safeEmit(emitter, type, payload, reportJoin)
  }

  const capRefusal = (match: RouteMatch, name: string): RefusalError | undefined => {
    const cap = lifecycle.capExceeded(match.route)
    return cap && refusal(codes.LIMIT, `too many namespaces (${cap})`, name, match.route.name)
  }

  // A client's creation passes the caps of all routes and of its route, then the bounds of its connection
  // and of its client key, and is counted against both from then on.
  const claim = (match: RouteMatch, name: string): Claim | RefusalError => {
    const capped = capRefusal(match, name)
    if (capped) return capped
    const connection = aliases.takeConnecting(name)
    if (!connection) return lifecycle.claim(undefined, undefined)
    const key = lifecycle.keyOf(connection, () => clientKeyOf(connection, settings.clientKey))
    const bound = lifecycle.clientBound(connection, key)
    if (bound === 'connection') {
      return refusal(codes.CONNECTION_LIMIT, `too many namespaces on this connection (${settings.maxNamespacesPerConnection})`, name, match.route.name)
    }
    if (bound === 'client') return refusal(codes.CLIENT_LIMIT, `too many namespaces created by this client (${settings.maxNamespacesPerClient})`, name, match.route.name)
    return lifecycle.claim(connection, key)
  }

  const gate = createGate(io, {
    server,
    classify,
    standIn: (name) => standIns.get(name),
    refuse: refusal,
    capRefusal,
    claim,
    authorizeCreation: authorizer.creation,
    isLive: (namespace) => lifecycle.matchOf(namespace) !== undefined,
    created(namespace, match, creation, release) {
      guardAdapterClients(namespace, guarded)
      // Right after creation: a socket.io 2 Redis adapter's request listener is found among the last ones
      // added. Its removal (adapter-cleanup.ts) undoes it.
      bridgeGenerations(namespace)
      lifecycle.adopt(namespace, match, creation, release)
      created++
      if (listened(emitter, 'namespace.created')) {
        safeEmit(emitter, 'namespace.created', { route: match.route.name, name: namespace.name, namespace }, report('namespace.created handler', match.route.name, namespace.name))
      }
    },
  })
  gate.parent.use(admit)
  gate.parent.on('connection', announce)
  const lifecycle = createLifecycle(server, gate.parent, {
    ttl: settings.emptyNamespaceTtlMs,
    maxNamespaces: settings.maxNamespaces,
    perConnection: settings.maxNamespacesPerConnection,
    perClient: settings.maxNamespacesPerClient,
    clock: settings.clock,
    onRemoved(namespace, match) {
      safeEmit(emitter, 'namespace.removed', { route: match.route.name, name: namespace.name }, report('namespace.removed handler', match.route.name, namespace.name))
    },
    onOrphan(socket) {
      refusal(codes.UNAVAILABLE, 'the namespace was removed while joining; connect again', socket.nsp.name)
    },
  })

  // Server-side creation (router.namespace, io.of) is never refused for caps: the caps bound what
  // clients create, and a flood of clients must not break the server's own emits.
  const createForServer = (name: string): Namespace => gate.create(name)

  // `io.of(name)` for a routed name goes through the parent too, so it cannot make a namespace that
  // skips `authorize` (socket.io#4164).
  const of = io.of
  io.of = function (this: ServerLike, name: unknown, fn?: unknown) {
    if (typeof name === 'string') {
      const full = name.startsWith('/') ? name : `/${name}`
      const match = server.lookup(full) ? undefined : resolve(full)
      if (match) {
        const namespace = createForServer(full)
        if (typeof fn === 'function') namespace.on('connect', fn as (socket: Socket) => void)
        return namespace
      }
    }
    return of.call(this, name, fn)
  }

  const detachRoot = guardRoot(io, {
    queryKey: settings.query,
    policy: settings.unmatched,
    classify: (value) => {
      const found = classify(value)
      return typeof found === 'string' ? found : undefined
    },
    refuse: refusal,
  })

  // Sees every CONNECT of a socket.io-client 2 connection, and only `//x` ones of the others: only
  // `//x` can be an alias, and only socket.io-client 2 names get stand-ins. A v3/v4 CONNECT for any
  // other name, the common case, is not parsed here (the parent's check parses it).
  const decide = (path: string, legacy: boolean): string | undefined => {
    const parsed = parseName(path, settings.maxNameLength)
    // A canonical spelling is its own canonical spelling: match it as it is, without parsing it again.
    if (!isProblem(parsed)) return parsed.canonical !== path && matcher.match(parsed.canonical) ? parsed.canonical : undefined
    // Only a name socket.io would rewrite before the router's check needs a stand-in: any other name
    // reaches the check as it is (or whatever serves it, as on plain socket.io).
    if (!legacy || !gate.isLast() || server.legacyName(path) === path) return undefined
    const standIn = `/~ns-router-refusal-${++standInCount}`
    standIns.set(standIn, path)
    return standIn
  }
  // One listener shared by every connection, and nothing kept per connection: a server holds one
  // engine.io connection per client, and any per-connection bookkeeping adds up (bench/README.md).
  const legacy = (connection: EngineConnection): boolean => connection.protocol === 3 || server.generation === 2
  const aliases = createAliases(
    (path, connection) => decide(path, legacy(connection)),
    (serverName) => standIns.delete(serverName),
    legacy,
  )
  const stopWatching = server.onEngineConnection(aliases.watch)
  // `/` spans a mixed socket.io 2/4 cluster too (the v2 clients' `ns` query arrives on it). Its bridge stays
  // after close(): it only makes `/` work with the other generation's nodes.
  bridgeGenerations(io.sockets)

  const wide = createRouteWide(io, server, matcher, lifecycle)

  // socket.io asks parents in the order they were registered: one registered before the router (an
  // `io.of(regex)`) takes every CONNECT it accepts, and the router never hears of it.
  const shadowed = new Set<string>()
  const earlier = server.watchEarlierParents(gate.parent, (name) => {
    const match = resolve(name)
    if (!match || shadowed.has(match.route.name)) return
    shadowed.add(match.route.name)
    debug('route %s is shadowed: %s went to a parent namespace registered before the router, which socket.io asks first; create the router first', match.route.name, name)
  })
  if (earlier.count > 0) debug('%d parent namespace(s) registered before the router: socket.io gives them the CONNECTs they accept first', earlier.count)

  const typed = emitter as unknown as Emitter<RouterEvents<Routes>>
  return {
    emitter: typed,
    on: typed.on,
    off: typed.off,
    namespace(route, params) {
      if (closed) throw new NamespaceRouterError(codes.CLOSED, 'the router is closed')
      const name = matcher.build(route, params as Readonly<Record<string, unknown>>)
      const match = resolve(name)
      if (match?.route.name !== route) {
        throw new NamespaceRouterError(codes.REVERSE_ROUTE, `params of route ${route} build ${JSON.stringify(name)}, which does not route back to it`)
      }
      return server.lookup(name) ?? createForServer(name)
    },
    route(route) {
      if (closed) throw new NamespaceRouterError(codes.CLOSED, 'the router is closed')
      // The handle checks params at run time; their types come from the route, which route-wide.ts does not know.
      return wide.handle(route) as RouteHandle<never>
    },
    stats() {
      const counts = lifecycle.counts()
      const names = [...matcher.routes.keys()]
      const byRoute = fromEntries(names.map((route) => [route, counts.byRoute[route] ?? 0] as const))
      const socketsByRoute = fromEntries(names.map((route) => [route, counts.socketsByRoute[route] ?? 0] as const))
      return { ...counts, byRoute, socketsByRoute, refusals: refusals.counts(), created }
    },
    async close() {
      if (closed) return
      closed = true
      gate.close()
      detachRoot()
      if (hasOwnProperty.call(io, 'of')) delete (io as { of?: unknown }).of
      stopWatching()
      wide.close()
      earlier.stop()
      for (const connection of server.engineConnections()) aliases.unwatch(connection)
      await lifecycle.removeAll()
      for (const unguard of guarded.values()) unguard()
      guarded.clear()
      debug('closed')
    },
  }
}
