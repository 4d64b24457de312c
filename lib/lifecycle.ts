import createDebug from 'debug'
import type { Namespace, Socket } from 'socket.io'
import { fromEntries } from './from-entries.js'
import type { CompiledRoute, RouteMatch } from './matcher.js'
import { removeNamespace, retire } from './removal.js'
import type { ServerAccess } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:lifecycle')

interface Entry {
  readonly match: RouteMatch
  /** Sockets between the router's middleware and their `connection` event. */
  readonly pending: Map<string, Socket>
  /** Whether the namespace may wait for the grace period: a socket connected, or server code made it. */
  populated: boolean
  timer: NodeJS.Timeout | undefined
  /** Undoes what the namespace's adapter left outside it (process listeners). */
  readonly release: () => void
}

/**
 * Options of {@link createLifecycle}.
 *
 * @example
 * const options: LifecycleOptions = { ttl: 30_000, maxNamespaces: 10_000, onRemoved() {}, onOrphan() {} }
 */
export interface LifecycleOptions {
  /** How long an empty namespace lives, in ms, or false to keep it. */
  readonly ttl: number | false
  /** Cap on live namespaces, all routes together. */
  readonly maxNamespaces: number
  /** Called after a namespace was removed. */
  readonly onRemoved: (namespace: Namespace, match: RouteMatch) => void
  /** Called for a socket that reached a removed namespace and was disconnected. */
  readonly onOrphan: (socket: Socket) => void
}

/**
 * Live namespace counts, as `router.stats()` reports them.
 *
 * @example
 * const { namespaces, byRoute }: LifecycleCounts = lifecycle.counts()
 */
export interface LifecycleCounts {
  readonly namespaces: number
  readonly byRoute: Readonly<Record<string, number>>
  readonly sockets: number
  readonly joining: number
  readonly removed: number
}

/**
 * The namespaces a router created, the sockets on their way in, and the rules for removing them.
 *
 * @example
 * const lifecycle = createLifecycle(server, parent, { ttl: 30_000, maxNamespaces: 10_000, onRemoved, onOrphan })
 * lifecycle.adopt(namespace, match, true)
 */
export interface Lifecycle {
  /**
   * Tracks a new namespace; `byClient` when a client's CONNECT created it; `release` runs after its
   * adapter is closed.
   */
  adopt(namespace: Namespace, match: RouteMatch, byClient: boolean, release?: () => void): void
  /** The route match of a live namespace, or undefined once it is removed. */
  matchOf(namespace: Namespace): RouteMatch | undefined
  /** Which cap one more namespace of this route would break, if any. */
  capExceeded(route: CompiledRoute): 'all routes' | 'route' | undefined
  /** A socket entered the router's middleware. */
  enter(socket: Socket): void
  /** A socket connected (`connected: true`) or was refused by the router. */
  settle(socket: Socket, connected: boolean): void
  counts(): LifecycleCounts
  /** Removes every live namespace. */
  removeAll(): Promise<void>
}

/**
 * Creates the lifecycle of a router's namespaces:
 * - a namespace with no connected socket is removed after `ttl` ms, unless a socket is still on its way
 *   in (in `authorize` or in the namespace's own middleware), in which case it waits for it;
 * - a namespace a client's CONNECT created, that never held a socket, is removed as soon as the router
 *   refused its last pending socket, whatever `ttl` says: a refused socket leaves nothing behind;
 * - a socket that still reaches a removed namespace is disconnected, never left in it.
 *
 * @example
 * const lifecycle = createLifecycle(accessServer(io), parent, { ttl: 0, maxNamespaces: 100, onRemoved() {}, onOrphan() {} })
 */
export function createLifecycle(server: ServerAccess, parent: { children?: Set<unknown> }, options: LifecycleOptions): Lifecycle {
  const entries = new Map<Namespace, Entry>()
  const perRoute = new Map<string, number>()
  let removed = 0

  const remove = async (namespace: Namespace, entry: Entry): Promise<void> => {
    entries.delete(namespace)
    clearTimeout(entry.timer)
    const route = entry.match.route.name
    perRoute.set(route, (perRoute.get(route) as number) - 1)
    removed++
    await removeNamespace(server, parent, namespace)
    entry.release()
    retire(namespace, options.onOrphan)
    options.onRemoved(namespace, entry.match)
  }

  // A pending socket whose connection closed, or that socket.io 4.8 dropped from its pre-connect set
  // (a later middleware refused it), is not on its way in any more. Checked when a removal is due,
  // rather than with a listener per socket: one connection can carry hundreds of joining sockets.
  const prune = (namespace: Namespace, entry: Entry): void => {
    const preConnect = (namespace as unknown as { _preConnectSockets?: Map<string, unknown> })._preConnectSockets
    for (const [id, socket] of entry.pending) {
      if (socket.conn.readyState !== 'open' || (preConnect && !preConnect.has(id))) entry.pending.delete(id)
    }
  }

  const isEmpty = (namespace: Namespace, entry: Entry): boolean => {
    prune(namespace, entry)
    return entry.pending.size === 0 && server.socketCount(namespace) === 0
  }

  const schedule = (namespace: Namespace, entry: Entry): void => {
    clearTimeout(entry.timer)
    entry.timer = undefined
    if (options.ttl === false || server.socketCount(namespace) > 0) return
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      if (isEmpty(namespace, entry)) {
        debug('removing %s: empty for %d ms', namespace.name, options.ttl)
        void remove(namespace, entry)
      } else schedule(namespace, entry)
    }, options.ttl)
    entry.timer.unref()
  }

  // One listener shared by every socket (`this` is the socket) rather than a closure per socket. A
  // namespace object is adopted once, so the entry found is the one the socket settled in, or none.
  function onDisconnect(this: Socket): void {
    const namespace = this.nsp
    const entry = entries.get(namespace)
    if (entry && server.socketCount(namespace) === 0) schedule(namespace, entry)
  }

  const settle = (socket: Socket, connected: boolean): void => {
    const namespace = socket.nsp
    const entry = entries.get(namespace)
    if (!entry) return
    entry.pending.delete(socket.id)
    if (connected) {
      entry.populated = true
      clearTimeout(entry.timer)
      entry.timer = undefined
      socket.on('disconnect', onDisconnect)
      return
    }
    if (entry.populated) return schedule(namespace, entry)
    // Checked a turn later: a socket may be on its way in between socket.io's lookup of the namespace
    // and the router's middleware.
    setImmediate(() => {
      if (entries.get(namespace) === entry && !entry.populated && isEmpty(namespace, entry)) {
        debug('removing %s: its only sockets were refused', namespace.name)
        void remove(namespace, entry)
      }
    })
  }

  // A namespace a client's CONNECT created normally has that socket connected within the turn, which
  // clears a removal timer as soon as it is armed. So its timer is armed a turn later, for all the
  // namespaces created in that turn at once, and only for those still without a socket; a timer armed
  // and cleared per creation was a tenth of the router's cost of creating a namespace (bench/README.md).
  let unconfirmed: [Namespace, Entry][] = []
  const confirm = (): void => {
    const batch = unconfirmed
    unconfirmed = []
    for (const [namespace, entry] of batch) {
      if (entries.get(namespace) === entry && !entry.populated) schedule(namespace, entry)
    }
  }

  return {
    adopt(namespace, match, byClient, release = () => {}) {
      const entry: Entry = { match, pending: new Map(), populated: !byClient, timer: undefined, release }
      entries.set(namespace, entry)
      const route = match.route.name
      perRoute.set(route, (perRoute.get(route) ?? 0) + 1)
      if (!byClient) return schedule(namespace, entry)
      if (unconfirmed.push([namespace, entry]) === 1) setImmediate(confirm)
    },
    matchOf(namespace) {
      return entries.get(namespace)?.match
    },
    capExceeded(route) {
      if (entries.size >= options.maxNamespaces) return 'all routes'
      if ((perRoute.get(route.name) ?? 0) >= route.maxNamespaces) return 'route'
      return undefined
    },
    enter(socket) {
      entries.get(socket.nsp)?.pending.set(socket.id, socket)
    },
    settle,
    counts() {
      let sockets = 0
      let joining = 0
      for (const [namespace, entry] of entries) {
        sockets += server.socketCount(namespace)
        joining += entry.pending.size
      }
      return { namespaces: entries.size, byRoute: fromEntries(perRoute), sockets, joining, removed }
    },
    async removeAll() {
      await Promise.all([...entries].map(([namespace, entry]) => remove(namespace, entry)))
    },
  }
}
