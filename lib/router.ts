import createDebug from 'debug'
import type { Emitter } from 'mitt'
import type { Namespace } from 'socket.io'
import { createAuthorizer } from './authorize.js'
import { codes, NamespaceRouterError } from './errors.js'
import { fromEntries } from './from-entries.js'
import { compileRoutes, resolve, type Matcher } from './matcher.js'
import { bridgeGenerations } from './mixed-cluster.js'
import { resolveOptions, type RouterOptions } from './options.js'
import { createJoin } from './join.js'
import { createLifecycle } from './lifecycle.js'
import { openParent, createParent } from './parent.js'
import { createQuotas } from './quotas.js'
import { createRefusals } from './refusals.js'
import { guardRoot } from './root.js'
import { createRouteWide, type RouteHandle } from './route-wide.js'
import { createEmitter } from './safe-emit.js'
import { accessServer, type ServerAccess, type ServerLike } from './server-compat.js'
import type { ParamsOf, PathParams, RouteInput, RoutePatterns, RouterEvents } from './types.js'

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
  // Internally untyped: the per-route event types are only for the router's users.
  const emitter = createEmitter<Record<string, unknown>>()
  const refusals = createRefusals(emitter)
  const server = accessServer(io)
  const opened = openParent(io)
  const members = createLifecycle(server, opened.namespace, {
    ttl: settings.emptyNamespaceTtlMs,
    maxNamespaces: settings.maxNamespaces,
    perConnection: settings.maxNamespacesPerConnection,
    perClient: settings.maxNamespacesPerClient,
    clock: settings.clock,
    emitter,
    refusals,
  })
  const quotas = createQuotas(members, refusals, settings)
  const authorizer = createAuthorizer(emitter, server.generation)
  const { maxNameLength } = settings
  const join = createJoin({ members, quotas, authorizer, refusals, emitter })
  const parent = createParent(io, opened, { server, matcher, maxNameLength, emitter, refusals, quotas, authorizer, members, join })
  const wide = createRouteWide(io, server, matcher, members)
  const detachRoot = guardRoot(io, { queryKey: settings.query, policy: settings.unmatched, matcher, maxNameLength, refusals })
  // `/` spans a mixed socket.io 2/4 cluster too (the v2 clients' `ns` query arrives on it). Its bridge stays
  // after close(): it only makes `/` work with the other generation's nodes.
  bridgeGenerations(io.sockets)
  const earlier = watchShadows(server, opened.namespace, matcher, maxNameLength)
  let closed = false

  const typed = emitter as unknown as Emitter<RouterEvents<Routes>>
  return {
    emitter: typed,
    on: typed.on,
    off: typed.off,
    namespace(route, params) {
      if (closed) throw new NamespaceRouterError(codes.CLOSED, 'the router is closed')
      const name = matcher.build(route, params as Readonly<Record<string, unknown>>)
      if (resolve(matcher, name, maxNameLength)?.route.name !== route) {
        throw new NamespaceRouterError(codes.REVERSE_ROUTE, `params of route ${route} build ${JSON.stringify(name)}, which does not route back to it`)
      }
      return server.lookup(name) ?? parent.create(name)
    },
    route(route) {
      if (closed) throw new NamespaceRouterError(codes.CLOSED, 'the router is closed')
      // The handle checks params at run time; their types come from the route, which route-wide.ts does not know.
      return wide.handle(route) as RouteHandle<never>
    },
    stats() {
      const counts = members.counts()
      const names = [...matcher.routes.keys()]
      const byRoute = fromEntries(names.map((route) => [route, counts.byRoute[route] ?? 0] as const))
      const socketsByRoute = fromEntries(names.map((route) => [route, counts.socketsByRoute[route] ?? 0] as const))
      return { ...counts, byRoute, socketsByRoute, refusals: refusals.counts(), created: parent.created() }
    },
    async close() {
      if (closed) return
      closed = true
      detachRoot()
      wide.close()
      earlier.stop()
      await parent.close()
      debug('closed')
    },
  }
}

// socket.io asks parents in the order they were registered: one registered before the router (an
// `io.of(regex)`) takes every CONNECT it accepts, and the router never hears of it.
function watchShadows(server: ServerAccess, parent: object, matcher: Matcher, maxNameLength: number): { stop(): void } {
  const shadowed = new Set<string>()
  const earlier = server.watchEarlierParents(parent, (name) => {
    const match = resolve(matcher, name, maxNameLength)
    if (!match || shadowed.has(match.route.name)) return
    shadowed.add(match.route.name)
    debug('route %s is shadowed: %s went to a parent namespace registered before the router, which socket.io asks first; create the router first', match.route.name, name)
  })
  if (earlier.count > 0) debug('%d parent namespace(s) registered before the router: socket.io gives them the CONNECTs they accept first', earlier.count)
  return earlier
}
