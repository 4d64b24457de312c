// One node of the Redis benchmark: socket.io 4 with the router and one Redis adapter, in a process of
// its own. `live` creates routed namespaces that stay (router.namespace(), no expiry); `broadcast` emits
// from this node to one of them.
import { createServer } from 'node:http'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter'
import { createClient } from 'redis'
import { Server } from 'socket.io'
import { serve } from './proc.js'
import { CHAT_PATTERN } from './servers.js'

let io
let http
let router
let clients = []

const params = (i) => ({ categoryId: 'live', itemId: String(i) })

serve({
  async start({ adapter, url }) {
    http = createServer()
    io = new Server(http)
    clients = adapter === 'streams' ? [createClient({ url })] : [createClient({ url }), createClient({ url })]
    for (const client of clients) client.setMaxListeners(0)
    await Promise.all(clients.map((client) => client.connect()))
    const [pub, sub] = clients
    if (adapter === 'classic') io.adapter(createAdapter(pub, sub))
    else if (adapter === 'sharded-dynamic') io.adapter(createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic' }))
    else if (adapter === 'sharded-static') io.adapter(createShardedAdapter(pub, sub, { subscriptionMode: 'static' }))
    else if (adapter === 'streams') io.adapter(createStreamsAdapter(pub))
    else throw new Error(`unknown adapter ${adapter}`)
    const { createNamespaceRouter } = await import('./subject.js')
    router = createNamespaceRouter(io, { routes: { chat: CHAT_PATTERN }, emptyNamespaceTtlMs: false, maxNamespaces: 1e6 })
    await new Promise((resolve) => http.listen({ port: 0, host: '127.0.0.1' }, resolve))
    return { port: http.address().port }
  },
  /** Makes namespaces 0 to `count` - 1 live. */
  live({ count }) {
    for (let i = 0; i < count; i++) router.namespace('chat', params(i))
    return router.stats().namespaces
  },
  broadcast({ count, target }) {
    const namespace = router.namespace('chat', params(target))
    for (let i = 0; i < count; i++) namespace.emit('news', i)
    return true
  },
  exit() {
    io?.close()
    http?.closeAllConnections?.()
  },
})
