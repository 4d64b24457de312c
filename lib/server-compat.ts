import { parse } from 'url'
import createDebug from 'debug'
import type { Namespace, Socket } from 'socket.io'

// Object.hasOwn is Node 16.9+: legacy servers run older Node.
const { hasOwnProperty } = Object.prototype

const debug = createDebug('socket.io-ns-router:server-compat')

// The one file that reads or writes socket.io's private fields and relies on its internal calls: a
// socket.io upgrade means checking this list against the new version (installed and tested: 2.1.1,
// 2.5.1, 3.0.5, 3.1.2, 4.0.2 to 4.7.5, 4.8.x).
//
//   server._nsps             Map name → Namespace                  3.0 to 4.8   (lookup, register, unregister)
//   server.nsps              object name → Namespace               2.1 to 2.5   (the same)
//   server._adapter          adapter class a Namespace builds      2.1 to 4.8   (constructDetached)
//   server.parentNsps        Map check → ParentNamespace, asked    2.1 to 4.8   (removeParent, isLastParent,
//                            in insertion order                                  watchEarlierParents)
//   server._opts             getter of the options                 4.6 to 4.8   (recovery)
//   server.bind()            called by attach() with the engine    2.1 to 4.8   (onEngineConnection)
//   engine.clients           object id → open engine.io socket     engine.io 3.2 to 6.6 (engineConnections)
//   parent.children          Set of a ParentNamespace's children   2.1 to 4.8   (forgetChild)
//   parent.createChild()     looked up per CONNECT it accepts      2.1 to 4.8   (replaceChildCreation,
//                                                                               watchEarlierParents)
//   namespace._fns           middleware list, copied by run()      3.0 to 4.8   (compactMiddleware, removeMiddleware)
//   namespace.fns            the same                              2.1 to 2.5
//   namespace._remove()      called when a socket leaves           3.0 to 4.8   (watchLeaving)
//   namespace.remove()       the same                              2.1 to 2.5
//   namespace.run()          runs the middleware of one socket     2.1 to 4.8   (watchLeaving)
//   namespace._preConnectSockets  Map of sockets joining           4.8          (the URL reading of legacyName)
//   socket._cleanup()        calls nsp._remove() from 4.7 on       2.5, 4.5 to 4.8 (watchLeaving)
//   packet.options.wsPreEncoded       a broadcast's WebSocket     engine.io 5.1 to 6.6 (socket.io 4.1 to 4.8)
//   packet.options.wsPreEncodedFrame  encoding, shared            engine.io 6.4+, set by socket.io-adapter 2.5
//                                                                 (withoutSharedEncoding)

/**
 * The part of a socket.io server (2.1 to 4.x) the router uses. A socket.io 4 `Server` fits, and so
 * does a socket.io 2 server, which has no types of its own.
 *
 * @example
 * const io: ServerLike = new Server(httpServer)
 */
export interface ServerLike {
  of(name: any, fn?: any): any
  readonly sockets: any
}

/**
 * The engine.io socket of one client connection, as far as the router touches it.
 *
 * @example
 * io.engine.on('connection', (connection: EngineConnection) => connection.protocol)
 */
export interface EngineConnection {
  readonly protocol?: number
  /** `'open'` until the connection closes. */
  readonly readyState?: string
  /** The peer's address, as socket.io's handshake reports it. */
  readonly remoteAddress?: string
  /** The HTTP request that opened the connection. */
  readonly request?: { readonly headers?: Readonly<Record<string, string | string[] | undefined>>; readonly url?: string }
  on(event: string, listener: (...args: any[]) => void): unknown
  off?(event: string, listener: (...args: any[]) => void): unknown
  removeListener(event: string, listener: (...args: any[]) => void): unknown
}

type NamespaceClass = new (server: ServerLike, name: string) => Namespace

/**
 * What differs between socket.io 2.x and 3.x/4.x servers, behind one interface: where namespaces are
 * registered, where middleware lives, how the engine is reached.
 *
 * @example
 * const server = accessServer(io)
 * server.lookup('/chat') // the Namespace, or undefined
 */
export interface ServerAccess {
  /** 2 for socket.io 2.x servers, 4 for 3.x and 4.x servers. */
  readonly generation: 2 | 4
  lookup(name: string): Namespace | undefined
  register(name: string, namespace: Namespace): void
  /** Removes `name` from the registry only if it still points at `namespace`. */
  unregister(name: string, namespace: Namespace): void
  /**
   * Creates a namespace object without registering it, on an adapter that talks to nobody: it only
   * ever refuses one CONNECT, and a Redis or cluster adapter would subscribe and unsubscribe for it.
   */
  constructDetached(name: string): Namespace
  /** Removes a parent namespace's name-check function, so the parent sees no more CONNECTs. */
  removeParent(check: unknown): void
  /** Whether this name-check function is the last one socket.io tries. */
  isLastParent(check: unknown): boolean
  /**
   * Calls `listener` with the name of each namespace that a parent registered before `parent` creates:
   * socket.io asks parents in the order they were registered, so those take every CONNECT they accept
   * before `parent` is asked. Returns how many there are, and the way to stop.
   */
  watchEarlierParents(parent: unknown, listener: (name: string) => void): { readonly count: number; stop(): void }
  sockets(namespace: Namespace): Socket[]
  /**
   * Makes `create` what socket.io calls to create a child of `parent` for each CONNECT its check accepts,
   * and returns socket.io's own (call it with the parent as `this`).
   */
  replaceChildCreation(parent: object, create: (name: string) => Namespace): (this: unknown, name: string) => Namespace
  /** Takes a removed namespace out of its parent's children, which the parent's `use` and `on` reach. */
  forgetChild(parent: object, namespace: Namespace): void
  /**
   * Calls `listener` (with the namespace as `this`) for each socket socket.io forgets: a connected socket
   * that left, a socket a middleware refused (a tick after the refusal went out), and on 4.7+ a socket whose
   * connection closed before it connected.
   * It also makes the router the only one to remove the namespace: socket.io 4.6+ with
   * `cleanupEmptyChildNamespaces` would delete a parent's child the moment its last socket leaves.
   */
  watchLeaving(namespace: Namespace, listener: (this: Namespace, socket: Socket) => void): void
  /**
   * Shares a namespace's middleware list with every other namespace whose list holds the same functions
   * (the children of one parent get the parent's), copied for a namespace of its own on its first `use`:
   * a list per child cost every live namespace about 60 B (bench/README.md, "Memory per live namespace").
   */
  compactMiddleware(namespace: Namespace): void
  /**
   * The namespace socket.io reads from the name in a protocol 3 (socket.io-client 2) CONNECT, before any
   * check: 4.8 reads it as a URL, 2.x and 4.0 to 4.7 with `url.parse`. Undefined when it cannot be read.
   */
  legacyName(path: string): string | undefined
  /** How many middleware functions a namespace runs for each joining socket. */
  middlewareCount(namespace: Namespace): number
  /**
   * Whether socket.io tells a namespace (`_remove`) of a socket whose join ended without a connection: one a
   * middleware refused, or one its middleware let through after its connection closed (4.7 and later).
   */
  removesAbandoned(socket: Socket): boolean
  /** Connection state recovery (socket.io 4.6+), when the server has it on. */
  recovery(): { readonly maxDisconnectionDuration: number; readonly skipMiddlewares: boolean } | undefined
  /** How many sockets are connected to `namespace`, without listing them. */
  socketCount(namespace: Namespace): number
  /** The engine.io connections open now. */
  engineConnections(): EngineConnection[]
  /** Calls `listener` for each engine.io connection, current and future; returns the way to stop. */
  onEngineConnection(listener: (connection: EngineConnection) => void): () => void
}

/**
 * Recognises a socket.io 2.x or 3.x/4.x server and returns the accessors the router needs.
 *
 * @example
 * accessServer(new Server()).generation // 4
 */
export function accessServer(io: ServerLike): ServerAccess {
  const server = io as any
  // The registry of namespaces: a Map `_nsps` since socket.io 3.0, a plain object `nsps` in 2.x.
  const generation = server._nsps instanceof Map ? 4 : 2
  const registry = {
    get: (name: string): Namespace | undefined =>
      generation === 4 ? server._nsps.get(name) : hasOwnProperty.call(server.nsps, name) ? server.nsps[name] : undefined,
    set: (name: string, nsp: Namespace) => (generation === 4 ? server._nsps.set(name, nsp) : (server.nsps[name] = nsp)),
    delete: (name: string) => (generation === 4 ? server._nsps.delete(name) : delete server.nsps[name]),
  }
  const Namespace = server.sockets.constructor as NamespaceClass
  // socket.io 4.8 came with both its list of joining sockets and its URL reading of legacy names.
  const readsUrls = server.sockets._preConnectSockets instanceof Map
  debug('socket.io %d.x server', generation === 4 ? 4 : 2)
  // listener → class prototype → the prototype with the wrappers for that listener.
  const watchers = new WeakMap<Function, WeakMap<object, object>>()
  // Middleware lists that namespaces share (see `compactMiddleware`), the last one shared, and per class
  // prototype the prototype whose `use` copies a shared list before it pushes.
  const middlewareKey = generation === 4 ? '_fns' : 'fns'
  let sharedList: unknown[] = []
  const sharedLists = new WeakSet<unknown[]>([sharedList])
  const copiers = new WeakMap<object, object>()
  const copyOnUse = (base: object): object => {
    let copier = copiers.get(base)
    if (copier === undefined) {
      const use = (base as { use: (this: unknown, fn: unknown) => unknown }).use
      copier = Object.create(base) as object
      ;(copier as { use: unknown }).use = function (this: Record<string, unknown[]>, fn: unknown): unknown {
        const list = this[middlewareKey] as unknown[]
        if (sharedLists.has(list)) this[middlewareKey] = list.slice()
        return use.call(this, fn)
      }
      copiers.set(base, copier)
    }
    return copier
  }
  // Read from the first socket asked about: every socket of a server has the same code.
  let abandonedRemoved: boolean | undefined
  const removesAbandoned = (socket: Socket): boolean => (abandonedRemoved ??= cleanupRemoves(socket))
  const watcherPrototype = (base: object, listener: (this: Namespace, socket: Socket) => void): object => {
    let byBase = watchers.get(listener)
    if (byBase === undefined) watchers.set(listener, (byBase = new WeakMap()))
    let watcher = byBase.get(base)
    if (watcher === undefined) byBase.set(base, (watcher = createWatcher(base, generation === 4 ? '_remove' : 'remove', listener, removesAbandoned)))
    return watcher
  }

  return {
    generation,
    lookup: registry.get,
    register: registry.set,
    unregister(name, namespace) {
      if (registry.get(name) === namespace) registry.delete(name)
    },
    constructDetached(name) {
      // `_adapter`: the adapter class a Namespace constructor instantiates, from 2.1 to 4.x.
      const adapter = server._adapter
      server._adapter = DetachedAdapter
      try {
        return new Namespace(io, name)
      } finally {
        server._adapter = adapter
      }
    },
    // `parentNsps`: check function → parent namespace, a Map in every version since 2.1.0, asked in
    // insertion order.
    removeParent(check) {
      server.parentNsps.delete(check)
    },
    isLastParent(check) {
      return [...server.parentNsps.keys()].pop() === check
    },
    watchEarlierParents(parent, listener) {
      const earlier: any[] = []
      for (const candidate of server.parentNsps.values()) {
        if (candidate === parent) break
        earlier.push(candidate)
      }
      // socket.io looks `createChild` up on the parent for each CONNECT it accepts (2.1 to 4.x).
      const undo = earlier.map((candidate) => {
        const own = hasOwnProperty.call(candidate, 'createChild')
        const createChild = candidate.createChild as (name: string) => Namespace
        const watched = function (this: unknown, name: string): Namespace {
          const namespace = createChild.call(this, name)
          listener(name)
          return namespace
        }
        candidate.createChild = watched
        return () => {
          if (candidate.createChild !== watched) return
          if (own) candidate.createChild = createChild
          else delete candidate.createChild
        }
      })
      return { count: earlier.length, stop: () => undo.forEach((fn) => fn()) }
    },
    // A namespace's connected sockets: a Map since 3.0, an object by id in 2.x.
    sockets(namespace) {
      const sockets = (namespace as any).sockets
      return sockets instanceof Map ? [...sockets.values()] : Object.values(sockets)
    },
    // socket.io looks `createChild` up on the parent for each CONNECT its check accepts (2.1 to 4.8).
    replaceChildCreation(parent, create) {
      const target = parent as { createChild: (name: string) => Namespace }
      const own = target.createChild
      target.createChild = create
      return own
    },
    // `children`: a Set on every ParentNamespace since 2.1.0.
    forgetChild(parent, namespace) {
      ;(parent as { children?: Set<unknown> }).children?.delete(namespace)
    },
    watchLeaving(namespace, listener) {
      // 3.x and 4.x sockets call `nsp._remove(socket)` when they close; 2.x ones call `nsp.remove(socket)`,
      // and a refused 2.x socket was never added. 4.6+ with `cleanupEmptyChildNamespaces`
      // installs an own `_remove` on each child that closes and unregisters it once empty: it is deleted, so
      // that the prototype's wrapper below is the one that runs.
      const method = generation === 4 ? '_remove' : 'remove'
      const target = namespace as unknown as Record<string, unknown>
      if (hasOwnProperty.call(target, method)) delete target[method]
      // The wrappers live on one prototype per listener, put between the namespace and its class's
      // prototype: own closures per namespace cost every live namespace two closures, their context and a
      // property store (bench/README.md, "Memory per live namespace").
      Object.setPrototypeOf(namespace, watcherPrototype(Object.getPrototypeOf(namespace) as object, listener))
    },
    // `_fns` since 3.0, `fns` in 2.x; `run` copies it on every use, so replacing it is safe. `use` pushes to
    // it: the namespace's prototype (one per class prototype, put between them) copies a shared list first.
    compactMiddleware(namespace) {
      const target = namespace as unknown as Record<string, unknown[]>
      const own = target[middlewareKey] as unknown[]
      if (!sameItems(own, sharedList)) sharedLists.add((sharedList = own.slice()))
      target[middlewareKey] = sharedList
      Object.setPrototypeOf(namespace, copyOnUse(Object.getPrototypeOf(namespace) as object))
    },
    legacyName(path) {
      if (!readsUrls) return parse(path).pathname ?? undefined
      try {
        return new URL(path, 'https://socket.io').pathname
      } catch {
        return undefined
      }
    },
    middlewareCount(namespace) {
      return ((namespace as unknown as Record<string, unknown[]>)[middlewareKey] as unknown[]).length
    },
    removesAbandoned,
    // `_opts`: a getter since 4.6, which brought connection state recovery; absent before.
    recovery() {
      const options = server._opts?.connectionStateRecovery
      return options ? { maxDisconnectionDuration: options.maxDisconnectionDuration, skipMiddlewares: options.skipMiddlewares } : undefined
    },
    socketCount(namespace) {
      const sockets = (namespace as any).sockets
      return sockets instanceof Map ? sockets.size : Object.keys(sockets).length
    },
    // engine.io 3 to 6 (socket.io 2.1 to 4.x) keep open connections by id in `clients`.
    engineConnections() {
      return server.engine ? (Object.values(server.engine.clients) as EngineConnection[]) : []
    },
    onEngineConnection(listener) {
      return watchEngine(server, listener)
    },
  }
}

/**
 * Takes `middleware` out of a namespace that `use()` gave it. On 3.x and 4.x it is removed from `_fns`; on
 * 2.x it is replaced in `fns` by one that lets every socket through: 2.x drops the `/` CONNECT it merges
 * into the handshake once `/` has middleware, and sends none when `/` has no middleware left.
 *
 * @example
 * io.sockets.use(check)
 * removeMiddleware(io.sockets, check)
 */
export function removeMiddleware(namespace: Namespace, middleware: Function): void {
  const target = namespace as unknown as { _fns?: Function[]; fns: Function[] }
  if (target._fns) return void target._fns.splice(target._fns.indexOf(middleware), 1)
  target.fns[target.fns.indexOf(middleware)] = letThrough
}

/**
 * The options of a packet engine.io is about to send, without the WebSocket encoding a broadcast made once
 * for all its recipients (`wsPreEncoded`, `wsPreEncodedFrame`): a recipient whose packet was rewritten
 * needs its own. A copy: the options object the recipients share stays untouched.
 *
 * @example
 * packet.options = withoutSharedEncoding(packet.options)
 */
export function withoutSharedEncoding(options: Record<string, unknown>): Record<string, unknown> {
  const { wsPreEncoded: _encoded, wsPreEncodedFrame: _frame, ...own } = options
  return own
}

function letThrough(_socket: unknown, next: () => void): void {
  next()
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// What socket.io touches on the adapter of a namespace whose sockets are all refused in middleware.
class DetachedAdapter {
  readonly rooms = new Map()
  readonly sids = new Map()
  constructor(readonly nsp: unknown) {}
  init(): void {}
  close(): void {}
  addAll(): void {}
  del(): void {}
  delAll(): void {}
}

// The prototype that hears sockets leaving the namespaces under it (see `watchLeaving`); `this` is the
// namespace in every wrapper, so the wrappers are shared by all of them.
function createWatcher(
  base: object,
  method: '_remove' | 'remove',
  listener: (this: Namespace, socket: Socket) => void,
  removesAbandoned: (socket: Socket) => boolean,
): object {
  const forget = (base as Record<string, unknown>)[method] as (this: Namespace, socket: Socket) => void
  const run = (base as { run: (this: Namespace, socket: Socket, fn: (error?: Error | null) => void) => void }).run
  const watcher = Object.create(base) as Record<string, unknown>
  watcher[method] = function (this: Namespace, socket: Socket): void {
    forget.call(this, socket)
    listener.call(this, socket)
  }
  // A socket a middleware refused reaches `_remove` only from 4.7 on (the refusal calls `_cleanup()`);
  // 2.x, 3.x and 4.0 to 4.6 drop it silently. Every version runs the middleware in `run(socket, fn)` and
  // sends the refusal a tick after `fn(error)`: before 4.7, hear it after that.
  watcher.run = function (this: Namespace, socket: Socket, fn: (error?: Error | null) => void): void {
    // Where the refusal reaches `_remove` (4.7+), no closure per socket is needed to hear it.
    if (removesAbandoned(socket)) return run.call(this, socket, fn)
    run.call(this, socket, (error) => {
      fn(error)
      if (error) process.nextTick(() => listener.call(this, socket))
    })
  }
  return watcher
}

// Servers created without an HTTP server get their engine later, in `bind()` (2.1 to 4.x); watch for it there.
// socket.io 4.7 made `_cleanup()`, which every refused socket goes through, call `nsp._remove()`. Read
// from the code itself: a false "no" only costs the wrapper its closure per socket.
function cleanupRemoves(socket: Socket): boolean {
  const cleanup = (socket as { _cleanup?: unknown })._cleanup
  return typeof cleanup === 'function' && cleanup.toString().includes('._remove(')
}

function watchEngine(server: any, listener: (connection: EngineConnection) => void): () => void {
  let engine: any
  const attach = (next: any): void => {
    engine = next
    for (const connection of Object.values(engine.clients)) listener(connection as EngineConnection)
    engine.on('connection', listener)
  }
  const bind = server.bind
  if (server.engine) attach(server.engine)
  else {
    server.bind = function (this: unknown, next: unknown) {
      const result = bind.call(this, next)
      delete server.bind
      attach(next)
      return result
    }
  }
  return () => {
    if (hasOwnProperty.call(server, 'bind')) delete server.bind
    engine?.removeListener('connection', listener)
  }
}
