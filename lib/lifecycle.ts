import createDebug from 'debug'
import type { Namespace, Socket } from 'socket.io'
import type { RouteMatch } from './matcher.js'
import { removeNamespace } from './removal.js'
import type { ServerAccess } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:lifecycle')

interface Entry {
  readonly match: RouteMatch
  /** Ids of sockets between the router's middleware and their `connection` event. */
  readonly pending: Set<string>
  /** Whether a socket ever connected, or the server created it (router.namespace, io.of). */
  populated: boolean
}

/**
 * The namespaces a router created, with the sockets on their way in, and the rule for removing them.
 *
 * @example
 * const lifecycle = createLifecycle(server, parent, (namespace, match) => emit('namespace.removed', ...))
 * lifecycle.adopt(namespace, match, true)
 */
export interface Lifecycle {
  /** Tracks a new namespace; `byClient` when a client's CONNECT created it. */
  adopt(namespace: Namespace, match: RouteMatch, byClient: boolean): void
  /** The route match of a namespace the router created, if it is live. */
  matchOf(namespace: Namespace): RouteMatch | undefined
  /** A socket entered the router's middleware. */
  enter(socket: Socket): void
  /** A socket connected (`connected: true`) or was refused by the router. */
  settle(socket: Socket, connected: boolean): void
  /** Removes every live namespace. */
  removeAll(): Promise<void>
}

/**
 * Creates the lifecycle of a router's namespaces. A namespace that a client's CONNECT created and that
 * never held a socket is removed as soon as the router refused its last pending socket, so a refused
 * socket leaves nothing behind.
 *
 * @example
 * const lifecycle = createLifecycle(accessServer(io), parent, () => {})
 */
export function createLifecycle(
  server: ServerAccess,
  parent: { children?: Set<unknown> },
  onRemoved: (namespace: Namespace, match: RouteMatch) => void,
): Lifecycle {
  const entries = new Map<Namespace, Entry>()

  const remove = async (namespace: Namespace, entry: Entry): Promise<void> => {
    entries.delete(namespace)
    await removeNamespace(server, parent, namespace)
    onRemoved(namespace, entry.match)
  }

  return {
    adopt(namespace, match, byClient) {
      entries.set(namespace, { match, pending: new Set(), populated: !byClient })
    },
    matchOf(namespace) {
      return entries.get(namespace)?.match
    },
    enter(socket) {
      entries.get(socket.nsp)?.pending.add(socket.id)
    },
    settle(socket, connected) {
      const entry = entries.get(socket.nsp)
      if (!entry) return
      entry.pending.delete(socket.id)
      if (connected) {
        entry.populated = true
        return
      }
      // Checked again a turn later: a socket may be on its way in between socket.io's lookup of the
      // namespace and the router's middleware.
      const namespace = socket.nsp
      setImmediate(() => {
        if (entries.get(namespace) !== entry || entry.populated || entry.pending.size > 0 || server.sockets(namespace).length > 0) return
        debug('removing %s: its only sockets were refused', namespace.name)
        void remove(namespace, entry)
      })
    },
    async removeAll() {
      await Promise.all([...entries].map(([namespace, entry]) => remove(namespace, entry)))
    },
  }
}
