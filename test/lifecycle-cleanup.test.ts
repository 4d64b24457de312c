// socket.io 4.6+'s own `cleanupEmptyChildNamespaces` next to the router: the router owns the removal of its
// namespaces, so its books, events and caps stay true; the app's own parents keep socket.io's behaviour.
import t from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, namespaceNames, nextEvent, once, startServer, until, type ServerKind } from './helpers/io.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'

for (const kind of ['4.6', '4'] as ServerKind[]) {
  const label = kind === '4' ? '4.8' : kind
  t.test(`socket.io ${label}, cleanupEmptyChildNamespaces: an empty routed namespace stays until the router removes it`, async (t) => {
    const { io, url } = await startServer(t, kind, { cleanupEmptyChildNamespaces: true })
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: false, routes: { chat: CHAT } })
    const client = clientV4(t, url + '/category/1/item/1/chat')
    await connected(client)
    const namespace = io.of('/category/1/item/1/chat')
    client.close()
    await until(() => router.stats().sockets === 0, 'the server saw the client leave')
    t.ok(namespaceNames(io).includes('/category/1/item/1/chat'), 'still registered: socket.io did not delete it')
    t.equal(io.of('/category/1/item/1/chat'), namespace, 'the same namespace')
    t.equal(router.stats().namespaces, 1, 'and the router counts it')
    const back = clientV4(t, url + '/category/1/item/1/chat')
    await connected(back)
    t.equal(io.of('/category/1/item/1/chat'), namespace, 'a client back finds it')
  })

  t.test(`socket.io ${label}, cleanupEmptyChildNamespaces: the router removes it once, with its event`, async (t) => {
    const { io, url } = await startServer(t, kind, { cleanupEmptyChildNamespaces: true })
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 20, routes: { chat: CHAT } })
    const removals: string[] = []
    router.on('namespace.removed', ({ name }) => removals.push(name))
    const client = clientV4(t, url + '/category/1/item/1/chat')
    await connected(client)
    const removed = nextEvent(router, 'namespace.removed')
    client.close()
    t.same(await removed, { route: 'chat', name: '/category/1/item/1/chat' })
    await new Promise(setImmediate)
    t.same(namespaceNames(io), ['/'])
    t.same(removals, ['/category/1/item/1/chat'], 'namespace.removed fired once')
    t.same({ namespaces: router.stats().namespaces, removed: router.stats().removed }, { namespaces: 0, removed: 1 })
  })

  t.test(`socket.io ${label}, cleanupEmptyChildNamespaces: caps count what is live`, async (t) => {
    const { io, url } = await startServer(t, kind, { cleanupEmptyChildNamespaces: true })
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 50, maxNamespaces: 1, routes: { chat: CHAT } })
    const first = clientV4(t, url + '/category/1/item/1/chat')
    await connected(first)
    const [refused] = await once(clientV4(t, url + '/category/1/item/2/chat'), 'connect_error')
    t.equal(refused.data.code, codes.LIMIT, 'full while the first one is live')
    const removed = nextEvent(router, 'namespace.removed')
    first.close()
    await removed
    await connected(clientV4(t, url + '/category/1/item/2/chat'))
    t.pass('a new client gets in once nothing is live')
    t.same(router.stats().byRoute, { chat: 1 })
  })

  t.test(`socket.io ${label}, cleanupEmptyChildNamespaces: io.of() for a routed name survives its last disconnect`, async (t) => {
    const { io, url } = await startServer(t, kind, { cleanupEmptyChildNamespaces: true })
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: false, routes: { chat: CHAT } })
    const namespace = io.of('/category/1/item/3/chat')
    const client = clientV4(t, url + '/category/1/item/3/chat')
    await connected(client)
    client.close()
    await until(() => router.stats().sockets === 0, 'the server saw the client leave')
    t.equal(io.of('/category/1/item/3/chat'), namespace, 'still the registered namespace')
    const reader = clientV4(t, url + '/category/1/item/3/chat')
    await connected(reader)
    const heard = once(reader, 'news')
    namespace.emit('news', 1)
    t.same(await heard, [1], 'emits on the kept namespace reach its clients')
  })

  t.test(`socket.io ${label}, cleanupEmptyChildNamespaces: the app's own parents keep socket.io's behaviour`, async (t) => {
    const { io, url } = await startServer(t, kind, { cleanupEmptyChildNamespaces: true })
    createNamespaceRouter(io, { routes: { chat: CHAT } })
    const parent = io.of(/^\/app-\d+$/)
    const client = clientV4(t, url + '/app-1')
    await connected(client)
    t.equal(parent.children.size, 1)
    client.close()
    await until(() => parent.children.size === 0, 'socket.io removed the empty child')
    t.same(namespaceNames(io).filter((name) => name.startsWith('/app')), [])
  })
}
