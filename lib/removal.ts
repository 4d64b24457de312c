import createDebug from 'debug'
import type { Namespace, Socket } from 'socket.io'
import { closeAdapter } from './adapter-cleanup.js'
import type { Refusals } from './refusals.js'
import type { ServerAccess } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:removal')

const BROADCASTS = ['emit', 'to', 'in', 'except', 'send', 'write'] as const

/**
 * Removes a namespace for good: disconnects its sockets, takes it out of the server's registry and its
 * parent's children, drops its listeners and undoes what its adapter holds (see `closeAdapter`).
 *
 * @example
 * await removeNamespace(accessServer(io), parent, io.of('/category/1/item/2/chat'))
 */
export async function removeNamespace(server: ServerAccess, parent: object, namespace: Namespace): Promise<void> {
  for (const socket of server.sockets(namespace)) socket.disconnect()
  server.unregister(namespace.name, namespace)
  server.forgetChild(parent, namespace)
  namespace.removeAllListeners()
  await closeAdapter(namespace)
  debug('removed %s', namespace.name)
}

/**
 * Makes a removed namespace safe to hold on to:
 * - a socket that still reaches it (it was past the middleware when the namespace went) is
 *   disconnected and recorded as refused (`NS_UNAVAILABLE`), never left in a namespace nobody broadcasts to;
 * - broadcasting on it (app code that kept `socket.nsp` or `io.of(name)`) logs a debug warning, since
 *   it reaches nobody: the live namespace is `router.namespace(route, params)`.
 *
 * @example
 * retire(namespace, createRefusals(emitter))
 */
export function retire(namespace: Namespace, refusals: Refusals): void {
  namespace.on('connection', (socket: Socket) => {
    debug('disconnecting %s: it reached the removed namespace %s', socket.id, namespace.name)
    socket.disconnect()
    refusals.removedWhileJoining(namespace.name)
  })
  const target = namespace as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const method of BROADCASTS) {
    const original = target[method]
    if (typeof original !== 'function') continue
    target[method] = function (this: unknown, ...args: unknown[]) {
      debug('%s() on the removed namespace %s reaches nobody: use router.namespace() for the live one', method, namespace.name)
      return original.apply(this, args)
    }
  }
}
