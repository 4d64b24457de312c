// The demo: one socket.io 4 server (accepting v2 clients too) with the router, and a chat page that
// runs on either client generation. `npm start` builds the package and runs this file.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { Server } from 'socket.io'
import { createNamespaceRouter } from 'socket.io-ns-router'

const require = createRequire(import.meta.url)
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

// Served from the installed packages: no CDN.
const files = {
  '/': [new URL('./public/index.html', import.meta.url), 'text/html'],
  '/chat.html': [new URL('./public/chat.html', import.meta.url), 'text/html'],
  '/vendor/socket.io-v2.js': [require.resolve('socket.io-client-v2/dist/socket.io.js'), 'text/javascript'],
  '/vendor/socket.io-v4.js': [require.resolve('socket.io-client/dist/socket.io.js'), 'text/javascript'],
}

const http = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://demo').pathname
  if (path === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' })
    return res.end(JSON.stringify(stats()))
  }
  const file = files[path]
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' })
    return res.end('not found')
  }
  res.writeHead(200, { 'content-type': `${file[1]}; charset=utf-8` })
  res.end(await readFile(file[0]))
})

const io = new Server(http, { allowEIO3: true })
// Several demo processes behind a load balancer share rooms and broadcasts through Redis.
if (process.env.REDIS_URL) {
  const { createClient } = await import('redis')
  const { createAdapter } = await import('@socket.io/redis-adapter')
  const pub = createClient({ url: process.env.REDIS_URL })
  const sub = pub.duplicate()
  for (const client of [pub, sub]) client.setMaxListeners(0) // one 'error' listener per namespace
  await Promise.all([pub.connect(), sub.connect()])
  io.adapter(createAdapter(pub, sub))
  console.log(`using the Redis adapter at ${process.env.REDIS_URL}`)
}
const router = createNamespaceRouter(io, {
  routes: {
    chat: {
      path: '/category/:categoryId/item/:itemId/chat',
      // Runs before the namespace exists: a made-up rule, to have something to refuse.
      authorize: ({ params }) => Number(params.categoryId) >= 1 && Number(params.categoryId) <= 9,
    },
  },
})

router.on('refused', ({ code, name }) => console.log(`refused ${name.slice(0, 80)}: ${code}`))

router.on('dynamic.group.chat', ({ socket, namespace, params }) => {
  const auth = socket.handshake.auth ?? {}
  const who = String(auth.name ?? socket.handshake.query.name ?? 'anonymous').slice(0, 32)
  const client = socket.conn.protocol === 3 ? 'v2' : 'v4'
  socket.emit('welcome', { category: params.categoryId, item: params.itemId, client })
  socket.broadcast.emit('joined', `${who} (${client})`)
  socket.on('message', (text) => namespace.emit('message', { who, client, text: String(text).slice(0, 500) }))
  // Rooms inside the routed namespace, as in seed 003: only members of "spoilers" get those.
  socket.on('spoilers', (on) => {
    if (on) socket.join('spoilers')
    else socket.leave('spoilers')
  })
  socket.on('spoiler', (text) => namespace.to('spoilers').emit('spoiler', { who, text: String(text).slice(0, 500) }))
  socket.on('disconnect', () => namespace.emit('left', `${who} (${client})`))
})

function stats() {
  return { ...router.stats(), engineClients: io.engine.clientsCount }
}

http.listen(port, host, () => {
  console.log(`demo chat on http://${host}:${port}/  (v2 and v4 clients, one routed namespace per item)`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await router.close()
    io.close()
    process.exit(0)
  })
}
