import createDebug from 'debug'
import type { Emitter } from 'mitt'
import type { Namespace, Socket } from 'socket.io'
import { aliasDoubleSlash } from './double-slash.js'
import { createEmitter } from './emitter.js'
import { codes, NamespaceRouterError, RefusalError, type ErrorCode } from './errors.js'
import { compileRoutes, type RouteMatch } from './matcher.js'
import { DEFAULT_MAX_NAME_LENGTH, isProblem, parseName } from './name.js'
import { readQueryValue } from './query.js'
import { createLifecycle } from './lifecycle.js'
import { closeAdapter } from './removal.js'
import { safeEmit } from './safe-emit.js'
import { accessServer, type ServerLike } from './server-compat.js'
import type { AuthorizeContext, PathParams, RouteInput, RoutePatterns, RouterEvents } from './types.js'

const debug = createDebug('socket.io-ns-router:router')

/**
 * Options of {@link createNamespaceRouter}.
 *
 * @example
 * const options: RouterOptions<{ chat: '/c/:id' }> = { routes: { chat: '/c/:id' }, unmatched: 'disconnect' }
 */
export interface RouterOptions<Routes extends RoutePatterns> {
  /** Route names mapped to a path pattern, a RegExp, or `{ path, authorize }`. */
  readonly routes: { readonly [K in keyof Routes]: RouteInput<Routes[K]> }
  /** The handshake query key read on `/`. Default `'ns'`. */
  readonly query?: string
  /** What to do with a socket on `/` whose `ns` is missing, invalid or unrouted. Default `'ignore'`. */
  readonly unmatched?: 'ignore' | 'disconnect'
  /** Longest accepted namespace name, in characters. Default 256. */
  readonly maxNameLength?: number
  /** Longest accepted path param, in characters. Default 100. */
  readonly maxParamLength?: number
}

/** Names of the routes that have a path pattern (the only ones reverse routing can build). */
export type PathRouteNames<Routes extends RoutePatterns> = {
  [K in keyof Routes & string]: Routes[K] extends string ? K : never
}[keyof Routes & string]

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
  /** The live namespace of a path route for these params, created (with the route's setup) if needed. */
  namespace<K extends PathRouteNames<Routes>>(route: K, params: PathParams<Routes[K] & string>): Namespace
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
  const queryKey = options.query ?? 'ns'
  const unmatched = options.unmatched ?? 'ignore'
  const maxNameLength = options.maxNameLength ?? DEFAULT_MAX_NAME_LENGTH
  checkOptions(queryKey, unmatched, maxNameLength, options.maxParamLength)
  const matcher = compileRoutes(options.routes as Readonly<Record<string, RouteInput>>, { maxParamLength: options.maxParamLength })
  const server = accessServer(io)
  // Internally untyped: the per-route event types are only for the router's users.
  const emitter = createEmitter<Record<string, unknown>>()
  let pendingRefusal: { name: string; error: RefusalError } | undefined
  // Set while socket.io creates a namespace for a client's CONNECT, as opposed to server code.
  let creatingForClient = false
  let closed = false

  const report = (during: string, route?: string, name?: string) => (error: unknown) =>
    safeEmit(emitter, 'error', { error, during, route, name }, (failure) => debug('error handler failed: %O', failure))

  const refusal = (code: ErrorCode, message: string, name: string, route?: string): RefusalError => {
    debug('refused %s: %s', name, code)
    safeEmit(emitter, 'refused', { code, message, name, route }, report('refused handler', route, name))
    return new RefusalError(code, message)
  }

  const resolve = (name: unknown): RouteMatch | undefined => {
    const parsed = parseName(name, maxNameLength)
    return isProblem(parsed) ? undefined : matcher.match(parsed.canonical)
  }

  const authorize = async (match: RouteMatch, context: Omit<AuthorizeContext, 'route' | 'params' | 'captures'>) => {
    const check = match.route.authorize
    if (!check) return true
    try {
      return (await check({ ...context, route: match.route.name, params: match.params, captures: match.captures })) === true
    } catch (error) {
      report('authorize', match.route.name, context.name)(error)
      return false
    }
  }

  // Runs in every routed namespace before its sockets connect: createChild copies it to each child.
  const admit = (socket: Socket, next: (error?: Error) => void): void => {
    const match = lifecycle.matchOf(socket.nsp)
    // socket.io 4.8 creates a socket a microtask after it looked its namespace up: the namespace
    // may have been removed in between, and a socket must not join a removed namespace.
    if (!match) return next(refusal(codes.UNAVAILABLE, 'the namespace was removed while joining; connect again', socket.nsp.name))
    lifecycle.enter(socket)
    if (!match.route.authorize) return next()
    const auth = objectOrEmpty(server.generation === 4 ? socket.handshake.auth : socket.handshake.query)
    void authorize(match, { phase: 'join', name: socket.nsp.name, auth, handshake: socket.handshake, socket }).then((allowed) => {
      if (allowed) return next()
      next(refusal(codes.FORBIDDEN, 'not authorized to join this namespace', socket.nsp.name, match.route.name))
      lifecycle.settle(socket, false)
    })
  }

  const announce = (socket: Socket): void => {
    // Only children of the router's parent carry this listener, and every one of them is live.
    const match = lifecycle.matchOf(socket.nsp) as RouteMatch
    lifecycle.settle(socket, true)
    const route = match.route.name
    const payload = { route, socket, namespace: socket.nsp, params: match.params, captures: match.captures }
    safeEmit(emitter, `dynamic.group.${route}`, payload, report('dynamic.group handler', route, socket.nsp.name))
  }

  // socket.io's parent-namespace check: the one place that sees a CONNECT before its namespace exists.
  const check = (name: string, auth: unknown, next: (error: Error | null, allow: boolean) => void): void => {
    const match = resolve(name)
    if (!match) return next(null, false)
    void authorize(match, { phase: 'create', name, auth: objectOrEmpty(auth), handshake: undefined, socket: undefined }).then((allowed) => {
      // close() may have run while authorize was pending: create nothing after it.
      if (closed) return next(null, false)
      if (allowed) {
        creatingForClient = true
        try {
          return next(null, true)
        } finally {
          creatingForClient = false
        }
      }
      // A refusal must reach the client with its code, and only middleware can send one: answer this
      // CONNECT with a namespace object that refuses it and is unregistered again straight away.
      pendingRefusal = { name, error: refusal(codes.FORBIDDEN, 'not authorized to create this namespace', name, match.route.name) }
      try {
        next(null, true)
      } finally {
        pendingRefusal = undefined
        const throwaway = server.lookup(name)
        if (throwaway && !lifecycle.matchOf(throwaway)) {
          server.unregister(name, throwaway)
          void closeAdapter(throwaway)
        }
      }
    })
  }

  const parent = io.of(check)
  const lifecycle = createLifecycle(server, parent, (namespace, match) => {
    debug('removed %s', namespace.name)
    safeEmit(emitter, 'namespace.removed', { route: match.route.name, name: namespace.name }, report('namespace.removed handler', match.route.name, namespace.name))
  })
  parent.use(admit)
  parent.on('connection', announce)
  const createChild = parent.createChild
  parent.createChild = (name: string): Namespace => {
    if (pendingRefusal?.name === name) {
      const throwaway = server.construct(name)
      const error = pendingRefusal.error
      throwaway.use((_socket, next) => next(error))
      server.register(name, throwaway)
      return throwaway
    }
    // socket.io before 4.3.2 and 2.5.0 could call this twice for one name (socket.io#4136).
    const existing = server.lookup(name)
    if (existing) return existing
    const match = resolve(name) as RouteMatch
    const namespace: Namespace = createChild.call(parent, name)
    lifecycle.adopt(namespace, match, creatingForClient)
    debug('created %s for route %s', name, match.route.name)
    safeEmit(emitter, 'namespace.created', { route: match.route.name, name, namespace }, report('namespace.created handler', match.route.name, name))
    return namespace
  }

  // `io.of(name)` for a routed name goes through the parent too, so it cannot make a namespace that
  // skips `authorize` (socket.io#4164).
  const of = io.of
  io.of = function (this: ServerLike, name: unknown, fn?: unknown) {
    if (typeof name === 'string') {
      const full = name.startsWith('/') ? name : `/${name}`
      if (!server.lookup(full) && resolve(full)) {
        const namespace = parent.createChild(full)
        if (typeof fn === 'function') namespace.on('connect', fn as (socket: Socket) => void)
        return namespace
      }
    }
    return of.call(this, name, fn)
  }

  const onRoot = (socket: Socket): void => {
    const read = readQueryValue(socket.handshake.query, queryKey)
    const code = !read.ok
      ? read.code
      : isProblem(parseName(read.value, maxNameLength))
        ? codes.INVALID_NAME
        : resolve(read.value)
          ? undefined
          : codes.NO_ROUTE
    if (!code || unmatched === 'ignore') return
    refusal(code, `the "${queryKey}" query names no routed namespace`, read.ok ? read.value : '/')
    socket.disconnect()
  }
  io.sockets.on('connection', onRoot)

  const isRouted = (canonical: string): boolean => resolve(canonical) !== undefined
  const unaliasers = new Set<() => void>()
  const stopWatching = server.onEngineConnection((connection) => {
    const stop = aliasDoubleSlash(connection, isRouted)
    unaliasers.add(stop)
    connection.on('close', () => unaliasers.delete(stop))
  })

  const typed = emitter as unknown as Emitter<RouterEvents<Routes>>
  return {
    emitter: typed,
    on: typed.on,
    off: typed.off,
    namespace(route, params) {
      if (closed) throw new NamespaceRouterError(codes.CLOSED, 'the router is closed')
      const name = matcher.build(route, params as Readonly<Record<string, unknown>>)
      if (resolve(name)?.route.name !== route) {
        throw new NamespaceRouterError(codes.REVERSE_ROUTE, `params of route ${route} build ${JSON.stringify(name)}, which does not route back to it`)
      }
      return server.lookup(name) ?? parent.createChild(name)
    },
    async close() {
      if (closed) return
      closed = true
      server.removeParent(check)
      io.sockets.removeListener('connection', onRoot)
      if (Object.hasOwn(io, 'of')) delete (io as { of?: unknown }).of
      stopWatching()
      for (const stop of unaliasers) stop()
      unaliasers.clear()
      await lifecycle.removeAll()
      debug('closed')
    },
  }
}

function checkOptions(queryKey: unknown, unmatched: unknown, maxNameLength: unknown, maxParamLength: unknown): void {
  if (typeof queryKey !== 'string' || queryKey === '') {
    throw new NamespaceRouterError(codes.OPTIONS, 'query must be a non-empty string')
  }
  if (unmatched !== 'ignore' && unmatched !== 'disconnect') {
    throw new NamespaceRouterError(codes.OPTIONS, 'unmatched must be "ignore" or "disconnect"')
  }
  if (!Number.isInteger(maxNameLength) || (maxNameLength as number) < 2) {
    throw new NamespaceRouterError(codes.OPTIONS, 'maxNameLength must be an integer of at least 2')
  }
  if (maxParamLength !== undefined && (!Number.isInteger(maxParamLength) || (maxParamLength as number) < 1)) {
    throw new NamespaceRouterError(codes.OPTIONS, 'maxParamLength must be a positive integer')
  }
}

function objectOrEmpty(value: unknown): Readonly<Record<string, unknown>> {
  // socket.io 2.x hands a buffered CONNECT's index over as its query (see README, "socket.io 2.x").
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}
