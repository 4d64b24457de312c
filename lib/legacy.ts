import { EventEmitter } from 'events'
import createDebug from 'debug'
import { createNamespaceRouter } from './router.js'
import { callSafely } from './safe-emit.js'
import type { ServerLike } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:legacy')

/**
 * Drop-in replacement for the io-handler snippet's `require('./io-handler')(io)`: routes are RegExps (or path
 * patterns), and the returned EventEmitter emits `dynamic.group.<name>` with `(socket, ...captures)`.
 * A socket on `/` whose `ns` query is missing or unrouted is disconnected, as the io-handler snippet does.
 * From CommonJS the module itself is this function.
 *
 * @example
 * const ee = require('socket.io-ns-router/legacy')(io, { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
 * ee.on('dynamic.group.chat', (socket, categoryId, itemId) => socket.emit('topic', itemId))
 */
export function ioHandler(io: ServerLike, routes: Readonly<Record<string, string | RegExp>>): EventEmitter {
  const ee = new EventEmitter()
  const router = createNamespaceRouter(io, { routes, unmatched: 'disconnect' })
  const report = (error: unknown): void => {
    ee.emit('error', error)
  }
  // Listeners run inside socket.io callbacks, where a throw would take the server down: each one is
  // called on its own, and its throw or rejection goes to 'error', which always has this listener.
  ee.on('error', (error) => debug('listener failed: %O', error))
  router.on('*', (type, payload) => {
    if (typeof type !== 'string' || !type.startsWith('dynamic.group.')) return
    const { socket, captures } = payload as { socket: unknown; captures: readonly unknown[] }
    // rawListeners keeps once() wrappers, so a once listener still removes itself.
    for (const listener of ee.rawListeners(type)) callSafely(() => listener.call(ee, socket, ...captures), report)
  })
  return ee
}
