// Route-wide operations on one node: what the handle does with this node's live namespaces, on every
// server line, and its argument checks. Several nodes: route-wide-nodes.test.ts (socket.io 4.8 with
// Redis, and node:cluster workers) and route-wide-legacy.test.ts (socket.io 2.x with socket.io-redis).
import t from 'tap'
import { codes, NamespaceRouterError } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { ROUTE_WIDE_EVENT } from '../lib/route-wide.js'
import { client, clientFor, connected, once, SERVER_LINES, startServer, versionOf, type ServerKind } from './helpers/io.js'

const routes = { chat: '/category/:categoryId/item/:itemId/chat', legacy: /^\/legacy\/(?<room>\d+)$/ }

// Every line of the peer range, and 4.1, the first with serverSideEmit (but no serverCount() on its
// in-memory adapter).
for (const kind of [...SERVER_LINES, '4.1'] as ServerKind[]) {
  t.test(`socket.io ${versionOf(kind)}, one node: the route's live namespaces here`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { routes })
    const join = async (name: string) => {
      const socket = client(t, clientFor(kind), url + name, { query: { ns: name } })
      await connected(socket)
      return socket
    }
    const one = await join('/category/1/item/1/chat')
    await join('/category/1/item/1/chat')
    const two = await join('/category/2/item/1/chat')
    await join('/legacy/7')
    router.namespace('chat', { categoryId: '1', itemId: '9' })
    const chat = router.route('chat')
    t.equal(chat.route, 'chat')
    t.same(await chat.count(), { nodes: 1, namespaces: 3, sockets: 3 }, 'a server-made namespace counts, without sockets')
    t.same(await chat.names(), ['/category/1/item/1/chat', '/category/1/item/9/chat', '/category/2/item/1/chat'], 'sorted, without the other route')
    t.same(await chat.where({ categoryId: '2' }).count(), { nodes: 1, namespaces: 1, sockets: 1 })
    t.same(await chat.where({ categoryId: '1' }).where({ itemId: '1' }).names(), ['/category/1/item/1/chat'], 'where() narrows further')
    t.same(await chat.where({ categoryId: '1', itemId: undefined }).count(), { nodes: 1, namespaces: 2, sockets: 2 }, 'an undefined param matches anything')
    t.same(await router.route('legacy').where({ room: '7' }).names(), ['/legacy/7'], "a RegExp route's named groups")
    t.same(await router.route('legacy').where({ room: '8' }).count(), { nodes: 1, namespaces: 0, sockets: 0 })

    const heardOne = once(one, 'news')
    const heardTwo = once(two, 'news')
    t.same(await chat.timeout(1000).emit('news', { n: 1 }, 'x'), { nodes: 1, namespaces: 3, sockets: 3 })
    t.same(await Promise.all([heardOne, heardTwo]), [[{ n: 1 }, 'x'], [{ n: 1 }, 'x']], 'every argument, to every socket')
    await router.close()
    t.throws(() => router.route('chat'), { code: codes.CLOSED })
    await t.rejects(chat.count(), { code: codes.CLOSED }, 'a handle kept past close() rejects')
  })
}

t.test('argument checks', async (t) => {
  const { io } = await startServer(t)
  const router = createNamespaceRouter(io, { routes })
  const chat = router.route('chat')
  const check = (fn: () => unknown, code: string, message: RegExp) => {
    try {
      fn()
      t.fail('did not throw')
    } catch (error) {
      t.ok(error instanceof NamespaceRouterError)
      t.equal((error as NamespaceRouterError).code, code)
      t.match((error as Error).message, message)
    }
  }
  check(() => router.route('nope' as 'chat'), codes.UNKNOWN_ROUTE, /"nope" is not a route of this router/)
  check(() => router.route('constructor' as 'chat'), codes.UNKNOWN_ROUTE, /not a route/)
  check(() => chat.where({ categoryID: '1' } as object), codes.UNKNOWN_ROUTE, /route chat has no param "categoryID"/)
  check(() => chat.where({ categoryId: 1 } as unknown as object), codes.UNKNOWN_ROUTE, /has no param "categoryId" to match a string against/)
  for (const bad of [0, -1, NaN, Infinity, '5' as unknown as number]) check(() => chat.timeout(bad), codes.OPTIONS, /a route-wide timeout must be a positive number of ms/)
  router.namespace('chat', { categoryId: '1', itemId: '1' })
  await t.rejects(chat.emit('connect'), /"connect" is a reserved event name/, 'an event socket.io reserves fails here, before any node is asked')
  await router.close()
})

t.test("close() stops answering other nodes; the app's own listeners stay", async (t) => {
  const { io } = await startServer(t)
  const mine = () => {}
  io.of('/').on(ROUTE_WIDE_EVENT, mine)
  const router = createNamespaceRouter(io, { routes })
  t.equal(io.of('/').listenerCount(ROUTE_WIDE_EVENT), 2)
  await router.close()
  t.same(io.of('/').listeners(ROUTE_WIDE_EVENT), [mine])
})
