import createDebug from 'debug'
import type { Namespace } from 'socket.io'
import { codes, NamespaceRouterError } from './errors.js'
import type { Lifecycle } from './lifecycle.js'
import type { Matcher } from './matcher.js'
import type { ServerAccess, ServerLike } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:route-wide')

/**
 * The server-side event route-wide requests travel as, on the `/` namespace of every node.
 *
 * @example
 * io.of('/').listenerCount(ROUTE_WIDE_EVENT) // 1 while a router is open
 */
export const ROUTE_WIDE_EVENT = 'socket.io-ns-router:route-wide'

/**
 * How long a route-wide operation waits for the other nodes, in ms, unless told otherwise.
 *
 * @example
 * router.route('chat').timeout(DEFAULT_ROUTE_WIDE_TIMEOUT_MS * 2)
 */
export const DEFAULT_ROUTE_WIDE_TIMEOUT_MS = 5000

/**
 * What a route-wide `count()` or `emit()` found: the nodes that answered (this one included), the
 * distinct live namespaces (a namespace live on two nodes counts once), and their connected sockets.
 *
 * @example
 * const { nodes, namespaces, sockets }: RouteWideCount = await router.route('chat').count()
 */
export interface RouteWideCount {
  readonly nodes: number
  readonly namespaces: number
  readonly sockets: number
}

/**
 * Every live namespace of one route, on every node. Each method asks every node at once and waits
 * for all of them, at most the timeout; a node that does not answer in time rejects the call with
 * `ERR_NODES_UNREACHABLE`. Handles are cheap and immutable: `where` and `timeout` return new ones.
 *
 * @example
 * const chat = router.route('chat')
 * await chat.where({ categoryId: '1' }).emit('announcement', 'closing at 6')
 * const { namespaces, sockets } = await chat.count()
 */
export interface RouteHandle<Params> {
  /** The route's name. */
  readonly route: string
  /** Only the namespaces whose params equal these (the others are left out). */
  where(params: Partial<Params>): RouteHandle<Params>
  /** How long to wait for the other nodes, in ms. */
  timeout(ms: number): RouteHandle<Params>
  /**
   * Emits to the connected sockets of every matching namespace, each node to its own sockets. The
   * arguments go to other nodes through the adapter: keep them JSON-serialisable, and without acks.
   */
  emit(event: string, ...args: unknown[]): Promise<RouteWideCount>
  count(): Promise<RouteWideCount>
  /** The names of the matching namespaces, sorted, each once. */
  names(): Promise<string[]>
}

/**
 * The route-wide operations of one router: `handle` makes handles, `close` stops answering other nodes
 * (and makes every handle's calls reject with `ERR_ROUTER_CLOSED`).
 *
 * @example
 * const wide = createRouteWide(io, server, matcher, lifecycle)
 * await wide.handle('chat').count()
 */
export interface RouteWide {
  handle(route: string): RouteHandle<Readonly<Record<string, string | undefined>>>
  close(): void
}

type Operation = 'emit' | 'count' | 'names'

/** What travels between nodes. `v` lets a later version tell an older node's requests apart. */
interface Request {
  readonly v: 1
  readonly op: Operation
  readonly route: string
  readonly where: Readonly<Record<string, string>>
  readonly event?: string
  readonly args?: readonly unknown[]
}

interface Reply {
  readonly names: readonly string[]
  readonly sockets: number
}

/** How the other nodes are asked, if the adapter can; `self` when it asks this node too. */
interface Transport {
  readonly self: boolean
  ask(request: Request, ms: number): Promise<Reply[]>
}

/**
 * Route-wide operations over the router's live namespaces, carried between nodes by what the adapter
 * already does:
 * - socket.io 4.5+: `serverSideEmit` with an acknowledgement on `/` (redis-adapter 7.2+, the sharded
 *   and streams adapters, the cluster adapter); with the in-memory adapter, this node is the cluster;
 * - socket.io 2.x with socket.io-redis 5.x: its `customRequest` and `customHook`;
 * - anything else (3.x, 4.0 to 4.4, other 2.x adapters): this node only.
 * Every node must run a router with the same routes: a node without one never answers.
 *
 * @example
 * const wide = createRouteWide(io, accessServer(io), compileRoutes(routes), lifecycle)
 */
export function createRouteWide(io: ServerLike, server: ServerAccess, matcher: Matcher, lifecycle: Lifecycle): RouteWide {
  const root = io.sockets
  let closed = false

  // This node's part of a request: its live namespaces of the route whose params match.
  const serve = (request: Request): Reply => {
    const names: string[] = []
    let sockets = 0
    const keys = Object.keys(request.where)
    for (const [namespace, match] of lifecycle.live(request.route)) {
      if (!keys.every((key) => match.params[key] === request.where[key])) continue
      names.push(namespace.name)
      sockets += server.socketCount(namespace)
      // `local`: each node reaches its own sockets; through the adapter every node would emit to every other.
      if (request.op === 'emit') (namespace as Namespace).local.emit(request.event as string, ...(request.args as unknown[]))
    }
    return { names, sockets }
  }

  // A request from another node: what throws here (an event name socket.io reserves) must not reach
  // the adapter's message handler, and the asker still hears from this node.
  const onRequest = (request: unknown, ack?: unknown): void => {
    let reply: Reply = { names: [], sockets: 0 }
    try {
      if (isRequest(request)) reply = serve(request)
      else debug('ignored a route-wide request this version cannot read')
    } catch (error) {
      debug('route-wide request failed: %O', error)
    }
    if (typeof ack === 'function') ack(reply)
  }

  let transport: Transport
  let detach: () => void
  const adapter = root.adapter
  if (server.generation === 2 && typeof adapter.customRequest === 'function') {
    // socket.io-redis 5.x asks every node, this one included, and has one hook per adapter: requests
    // that are not the router's go to the hook that was there.
    const previous = adapter.customHook as (data: unknown, cb: (reply: unknown) => void) => void
    adapter.customHook = function (this: unknown, data: unknown, cb: (reply: unknown) => void): void {
      if (isRequest(data)) return onRequest(data, cb)
      previous.call(this, data, cb)
    }
    transport = {
      self: true,
      ask: (request, ms) => within(ms, (settle) => adapter.customRequest(request, settle)),
    }
    detach = () => {
      adapter.customHook = previous
    }
  } else {
    root.on(ROUTE_WIDE_EVENT, onRequest)
    detach = () => root.removeListener(ROUTE_WIDE_EVENT, onRequest)
    transport = {
      self: false,
      ask: (request, ms) =>
        within(ms, (settle) => {
          // Read when asked: `io.adapter()` replaces the adapters of existing namespaces.
          const current = root.adapter
          if (typeof root.serverSideEmit !== 'function' || typeof current.serverCount !== 'function') return settle(null, [])
          Promise.resolve(current.serverCount())
            .then((servers: number) => {
              // The in-memory adapter counts one server and never acknowledges: nobody else to ask.
              if (servers <= 1) return settle(null, [])
              root.serverSideEmit(ROUTE_WIDE_EVENT, request, settle)
            })
            .catch(settle)
        }),
    }
  }

  const run = async (request: Request, ms: number): Promise<{ names: string[]; nodes: number; sockets: number }> => {
    // A handle kept past close() would see no namespaces here, and ask nodes this one no longer answers.
    if (closed) throw new NamespaceRouterError(codes.CLOSED, 'the router is closed')
    // This node's part first: what it throws (a reserved event name) throws before anyone is asked.
    const replies = transport.self ? [] : [serve(request)]
    try {
      replies.push(...(await transport.ask(request, ms)))
    } catch (error) {
      throw new NamespaceRouterError(
        codes.NODES_UNREACHABLE,
        `route-wide ${request.op} on route ${request.route}: not every node answered within ${ms} ms (${(error as Error).message})`,
        { cause: error },
      )
    }
    const names = new Set<string>()
    let sockets = 0
    for (const reply of replies) {
      for (const name of reply.names) names.add(name)
      sockets += reply.sockets
    }
    return { names: [...names].sort(), nodes: replies.length, sockets }
  }

  const make = (route: string, where: Readonly<Record<string, string>>, ms: number): RouteHandle<Readonly<Record<string, string | undefined>>> => {
    const ask = (op: Operation, event?: string, args?: unknown[]) => run({ v: 1, op, route, where, event, args }, ms)
    return {
      route,
      where(params) {
        const keys = matcher.routes.get(route)?.keys as readonly string[]
        const next: Record<string, string> = { ...where }
        for (const [key, value] of Object.entries(params)) {
          if (value === undefined) continue
          // A RegExp route's params are its named groups, which the router does not know beforehand.
          if ((keys.length > 0 && !keys.includes(key)) || typeof value !== 'string') {
            throw new NamespaceRouterError(codes.UNKNOWN_ROUTE, `route ${route} has no param ${JSON.stringify(key)} to match a string against`)
          }
          next[key] = value
        }
        return make(route, next, ms)
      },
      timeout(next) {
        if (!(Number.isFinite(next) && next > 0)) throw new NamespaceRouterError(codes.OPTIONS, `a route-wide timeout must be a positive number of ms, not ${String(next)}`)
        return make(route, where, next)
      },
      async emit(event, ...args) {
        const { nodes, names, sockets } = await ask('emit', event, args)
        return { nodes, namespaces: names.length, sockets }
      },
      async count() {
        const { nodes, names, sockets } = await ask('count')
        return { nodes, namespaces: names.length, sockets }
      },
      async names() {
        return (await ask('names')).names
      },
    }
  }

  return {
    handle(route) {
      if (!matcher.routes.has(route)) throw new NamespaceRouterError(codes.UNKNOWN_ROUTE, `${JSON.stringify(route)} is not a route of this router`)
      return make(route, {}, DEFAULT_ROUTE_WIDE_TIMEOUT_MS)
    },
    close() {
      closed = true
      detach()
    },
  }
}

// Settles once: with the adapter's answer or error, or with a timeout of our own. Adapters have their
// own timeout (5 s by default), and some never call back at all when Redis is down.
function within<T>(ms: number, start: (settle: (error: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false
    const timer = setTimeout(() => settle(new Error(`no answer within ${ms} ms`)), ms)
    function settle(error: unknown, value?: T): void {
      if (done) return
      done = true
      clearTimeout(timer)
      if (error) reject(error)
      else resolve(value as T)
    }
    start(settle)
  })
}

function isRequest(value: unknown): value is Request {
  const request = value as Request | null
  return typeof request === 'object' && request !== null && request.v === 1 && typeof request.route === 'string' && typeof request.where === 'object' && request.where !== null
}
