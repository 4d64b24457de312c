import createDebug from 'debug'
import type { Namespace, Socket } from 'socket.io'

// Object.hasOwn is Node 16.9+: legacy servers run older Node.
const { hasOwnProperty } = Object.prototype

const debug = createDebug('socket.io-ns-router:server-compat')

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
  sockets(namespace: Namespace): Socket[]
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
  const generation = server._nsps instanceof Map ? 4 : 2
  const registry = {
    get: (name: string): Namespace | undefined =>
      generation === 4 ? server._nsps.get(name) : hasOwnProperty.call(server.nsps, name) ? server.nsps[name] : undefined,
    set: (name: string, nsp: Namespace) => (generation === 4 ? server._nsps.set(name, nsp) : (server.nsps[name] = nsp)),
    delete: (name: string) => (generation === 4 ? server._nsps.delete(name) : delete server.nsps[name]),
  }
  const Namespace = server.sockets.constructor as NamespaceClass
  debug('socket.io %d.x server', generation === 4 ? 4 : 2)

  return {
    generation,
    lookup: registry.get,
    register: registry.set,
    unregister(name, namespace) {
      if (registry.get(name) === namespace) registry.delete(name)
    },
    constructDetached(name) {
      const adapter = server._adapter
      server._adapter = DetachedAdapter
      try {
        return new Namespace(io, name)
      } finally {
        server._adapter = adapter
      }
    },
    removeParent(check) {
      server.parentNsps.delete(check)
    },
    isLastParent(check) {
      return [...server.parentNsps.keys()].pop() === check
    },
    sockets(namespace) {
      const sockets = (namespace as any).sockets
      return sockets instanceof Map ? [...sockets.values()] : Object.values(sockets)
    },
    socketCount(namespace) {
      const sockets = (namespace as any).sockets
      return sockets instanceof Map ? sockets.size : Object.keys(sockets).length
    },
    engineConnections() {
      return server.engine ? (Object.values(server.engine.clients) as EngineConnection[]) : []
    },
    onEngineConnection(listener) {
      return watchEngine(server, listener)
    },
  }
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

// Servers created without an HTTP server get their engine later, in `bind()`; watch for it there.
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
