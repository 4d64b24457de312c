// The demo chat: one socket.io 4 server (accepting socket.io-client 2.x too) with the router, and two
// pages, one per client generation, that join the same routed namespaces.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { Registry } from 'prom-client'
import { Server } from 'socket.io'
import { createNamespaceRouter } from 'socket.io-ns-router'
import { registerRouterMetrics } from 'socket.io-ns-router/metrics'

const require = createRequire(import.meta.url)
const page = (name) => new URL(`./public/${name}`, import.meta.url)

// Served from the installed packages: no CDN.
const files = {
  '/': [page('index.html'), 'text/html'],
  '/v2.html': [page('chat.html'), 'text/html', { client: 'v2', generation: '2.x' }],
  '/v4.html': [page('chat.html'), 'text/html', { client: 'v4', generation: '4.x' }],
  '/both.html': [page('both.html'), 'text/html'],
  '/chat.js': [page('chat.js'), 'text/javascript'],
  '/chat.css': [page('chat.css'), 'text/css'],
  '/vendor/socket.io-v2.js': [require.resolve('socket.io-client-v2/dist/socket.io.js'), 'text/javascript'],
  '/vendor/socket.io-v4.js': [require.resolve('socket.io-client/dist/socket.io.js'), 'text/javascript'],
  '/vendor/uplot.js': [require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript'],
  '/vendor/uplot.css': [require.resolve('uplot/dist/uPlot.min.css'), 'text/css'],
}

/**
 * Starts the demo. With `redisUrl`, several demo processes share rooms and broadcasts through Redis.
 *
 * @example
 * const demo = await startDemo({ port: 0 })
 * console.log(demo.url)
 * await demo.close()
 */
export async function startDemo({ port = 3000, host = '127.0.0.1', redisUrl } = {}) {
  const http = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' })
      return res.end(await registry.metrics())
    }
    if (path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      return res.end(JSON.stringify({ ...router.stats(), clients: io.engine.clientsCount }))
    }
    const file = files[path]
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      return res.end('not found')
    }
    const [location, type, fill] = file
    const body = await readFile(location, fill ? 'utf8' : undefined)
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8` })
    // One chat page for both client generations: only the bundle it loads differs.
    res.end(fill ? body.replace(/{{(\w+)}}/g, (_, key) => fill[key]) : body)
  })

  const io = new Server(http, { allowEIO3: true })
  const redisClients = []
  if (redisUrl) {
    const { createClient } = await import('redis')
    // The README's recommended setup: Redis's cost per broadcast stays flat in live namespaces (Redis 7+).
    const { createShardedAdapter } = await import('@socket.io/redis-adapter')
    const pub = createClient({ url: redisUrl })
    const sub = pub.duplicate()
    redisClients.push(pub, sub)
    await Promise.all(redisClients.map((client) => client.connect()))
    io.adapter(createShardedAdapter(pub, sub, { subscriptionMode: 'static' }))
  }

  const router = createNamespaceRouter(io, {
    routes: {
      chat: {
        path: '/category/:categoryId/item/:itemId/chat',
        // A made-up rule, to have something to refuse: categories 1 to 9 exist.
        authorize: ({ params }) => /^[1-9]$/.test(params.categoryId),
      },
    },
  })

  // Prometheus scrapes /metrics; the pages chart /stats, the same figures as JSON.
  const registry = new Registry()
  const metrics = registerRouterMetrics(router, { registry })

  router.on('dynamic.group.chat', ({ socket, namespace, params }) => {
    // v4 pages send their name in `auth`; socket.io hands a v2 client's CONNECT query over as `auth` too.
    const who = String(socket.handshake.auth?.name || socket.handshake.query.name || 'anonymous').slice(0, 24)
    const client = socket.conn.protocol === 3 ? 'v2' : 'v4'
    const label = `${who} (${client})`
    socket.emit('welcome', { category: params.categoryId, item: params.itemId, client })
    socket.broadcast.emit('joined', label)
    socket.on('message', (text) => namespace.emit('message', { who: label, text: String(text).slice(0, 500) }))
    // Rooms inside the routed namespace, as in seed 003: only members of "spoilers" get those.
    socket.on('spoilers', (on) => (on ? socket.join('spoilers') : socket.leave('spoilers')))
    socket.on('spoiler', (text) => namespace.to('spoilers').emit('spoiler', { who: label, text: String(text).slice(0, 500) }))
    socket.on('disconnect', () => namespace.emit('left', label))
  })

  await new Promise((resolve) => http.listen(port, host, resolve))
  const address = http.address()
  return {
    url: `http://${host}:${address.port}`,
    router,
    async close() {
      await router.close()
      metrics.close()
      io.close()
      await Promise.all(redisClients.map((client) => client.quit().catch(() => {})))
    },
  }
}
