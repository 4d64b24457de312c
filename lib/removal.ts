import createDebug from 'debug'
import type { Namespace } from 'socket.io'
import type { ServerAccess } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:removal')

/**
 * Removes a namespace for good: disconnects its sockets, takes it out of the server's registry and its
 * parent's children, drops its listeners and closes its adapter (a Redis adapter unsubscribes).
 *
 * @example
 * await removeNamespace(accessServer(io), parent, io.of('/category/1/item/2/chat'))
 */
export async function removeNamespace(server: ServerAccess, parent: { children?: Set<unknown> }, namespace: Namespace): Promise<void> {
  for (const socket of server.sockets(namespace)) socket.disconnect()
  server.unregister(namespace.name, namespace)
  parent.children?.delete(namespace)
  namespace.removeAllListeners()
  await closeAdapter(namespace)
  debug('removed %s', namespace.name)
}

/**
 * Closes a namespace's adapter where the adapter can be closed (socket.io 4 adapters; 2.x ones cannot).
 *
 * @example
 * await closeAdapter(namespace)
 */
export async function closeAdapter(namespace: Namespace): Promise<void> {
  await (namespace.adapter as { close?: () => unknown }).close?.()
}
