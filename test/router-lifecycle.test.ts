import t from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV2, clientV4, connected, namespaceNames, nextEvent, once, startServer, until } from './helpers/io.js'
import { manualClock } from './helpers/clock.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'

// The interleavings of the lifecycle issue, through the router and real clients.
t.test('router: the last socket leaves while another is in async authorize', async (t) => {
  const { io, url } = await startServer(t)
  const clock = manualClock()
  // The second join's authorize waits until the test lets it through.
  let hold = false
  let release: ((allowed: boolean) => void) | undefined
  const router = createNamespaceRouter(io, {
    emptyNamespaceTtlMs: 10,
    clock,
    routes: { chat: { path: CHAT, authorize: ({ phase }) => (hold && phase === 'join' ? new Promise<boolean>((resolve) => { release = resolve }) : true) } },
  })
  const first = clientV4(t, url + '/category/1/item/2/chat')
  await connected(first)
  hold = true
  const second = clientV4(t, url + '/category/1/item/2/chat')
  await until(() => release !== undefined, 'the second socket is in authorize')
  first.close()
  await until(() => router.stats().sockets === 0, 'the first socket left')
  clock.advance(100)
  t.equal(router.stats().namespaces, 1, 'kept past the grace period while a socket is in authorize')
  release!(true)
  await connected(second)
  clock.advance(100)
  const heard = once(second, 'news')
  router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('news')
  t.same(await heard, [], 'reached through the live namespace')
  t.equal(router.stats().removed, 0)
})

t.test("router: the last socket leaves while another is in the namespace's own async middleware", async (t) => {
  const { io, url } = await startServer(t)
  const clock = manualClock()
  const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 10, clock, routes: { chat: CHAT } })
  let hold = false
  let release: (() => void) | undefined
  router.on('namespace.created', ({ namespace }) => namespace.use((_s, next) => (hold ? (release = () => next()) : next())))
  const first = clientV4(t, url + '/category/1/item/2/chat')
  await connected(first)
  hold = true
  const second = clientV2(t, url + '/category/1/item/2/chat')
  await until(() => release !== undefined, "the second socket is in the namespace's middleware")
  first.close()
  await until(() => router.stats().sockets === 0, 'the first socket left')
  clock.advance(100)
  t.equal(router.stats().namespaces, 1, "kept past the grace period while a socket is in the namespace's middleware")
  release!()
  await connected(second)
  clock.advance(100)
  const heard = once(second, 'news')
  io.of('/category/1/item/2/chat').emit('news')
  t.same(await heard, [])
  t.equal(router.stats().removed, 0)
})

t.test('router: after removal a client gets a fresh namespace with the same setup', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 10, routes: { chat: CHAT } })
  let setups = 0
  router.on('namespace.created', () => setups++)
  const first = clientV4(t, url + '/category/1/item/2/chat')
  await connected(first)
  const removed = nextEvent(router, 'namespace.removed')
  first.close()
  t.same(await removed, { route: 'chat', name: '/category/1/item/2/chat' })
  const announced = nextEvent(router, 'dynamic.group.chat')
  await connected(clientV4(t, url + '/category/1/item/2/chat'))
  await announced
  t.equal(setups, 2)
  t.same(router.stats().byRoute, { chat: 1 })
})

t.test('router: caps refuse creation with NS_LIMIT; live namespaces keep serving', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, {
    maxNamespaces: 3,
    routes: { chat: { path: CHAT, maxNamespaces: 2 }, other: '/other/:id' },
  })
  await connected(clientV4(t, url + '/category/1/item/1/chat'))
  await connected(clientV4(t, url + '/category/1/item/2/chat'))
  const [err] = await once(clientV4(t, url + '/category/1/item/3/chat'), 'connect_error')
  t.equal(err.data.code, codes.LIMIT, 'per route')
  await connected(clientV4(t, url + '/other/1'))
  const [err2] = await once(clientV4(t, url + '/other/2'), 'connect_error')
  t.equal(err2.data.code, codes.LIMIT, 'all routes')
  await connected(clientV4(t, url + '/category/1/item/1/chat'))
  t.pass('a client of a live namespace still gets in')
  t.equal(router.namespace('other', { id: '3' }).name, '/other/3', 'server code is never refused for caps')
  t.equal(io.of('/other/4').name, '/other/4', 'nor is io.of()')
  t.equal(router.namespace('other', { id: '1' }).name, '/other/1', 'live ones are still returned')
  t.same(router.stats().byRoute, { chat: 2, other: 3 })
  t.same(router.stats().refusals, { [codes.LIMIT]: 2 })
})

t.test('router: the cap is checked again after an async authorize', async (t) => {
  const { io, url } = await startServer(t)
  // Each creation's authorize waits until all three are in it.
  const waiting: Array<() => void> = []
  createNamespaceRouter(io, { maxNamespaces: 1, routes: { chat: { path: CHAT, authorize: ({ phase }) => (phase === 'create' ? new Promise<boolean>((resolve) => { waiting.push(() => resolve(true)) }) : true) } } })
  const a = connected(clientV4(t, url + '/category/1/item/1/chat'))
  await until(() => waiting.length === 1, 'the first creation is in authorize')
  const b = once(clientV4(t, url + '/category/1/item/2/chat'), 'connect_error')
  await until(() => waiting.length === 2, 'the second creation is in authorize')
  const c = connected(clientV4(t, url + '/category/1/item/1/chat'))
  await until(() => waiting.length === 3, 'the racer is in authorize too')
  for (const allow of waiting) allow()
  await a
  const [err] = await b
  t.equal(err.data.code, codes.LIMIT)
  await c
  t.pass('a racer into the namespace that won still joins it')
})

t.test('router: stats', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: CHAT, other: '/other/:id', no: { path: '/no', authorize: () => false } } })
  await connected(clientV4(t, url + '/category/1/item/1/chat'))
  await connected(clientV2(t, url + '/category/1/item/1/chat'))
  await once(clientV4(t, url + '/no'), 'connect_error')
  await once(clientV4(t, url + '/nope'), 'connect_error')
  t.same(router.stats(), {
    namespaces: 1,
    byRoute: { chat: 1, other: 0, no: 0 },
    sockets: 2,
    socketsByRoute: { chat: 2, other: 0, no: 0 },
    joining: 0,
    removed: 0,
    created: 1,
    refusals: { [codes.FORBIDDEN]: 1, [codes.NO_ROUTE]: 1 },
  })
})

// Evidence for the lifecycle issue, sized for CI: a flood and a churn.
t.test('flood: thousands of distinct names from unauthorized clients create nothing; the cap holds', { timeout: 120_000 }, async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, {
    maxNamespaces: 50,
    maxNamespacesPerClient: Infinity, // every client of this test has one address
    routes: { chat: { path: CHAT, authorize: ({ auth }) => auth.token === 'secret' } },
  })
  router.on('dynamic.group.chat', ({ socket }) => socket.on('say', (text: string) => socket.broadcast.emit('said', text)))
  const alice = clientV4(t, url + '/category/0/item/0/chat', { auth: { token: 'secret' } })
  const bob = clientV4(t, url + '/category/0/item/0/chat', { auth: { token: 'secret' } })
  await Promise.all([connected(alice), connected(bob)])

  global.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const flood = async (count: number, auth: object) => {
    // Many namespaces over a few Managers: one engine.io connection carries a hundred CONNECTs at once,
    // within its bound (maxNamespacesPerConnection, 128 by default).
    const managers = Array.from({ length: Math.ceil(count / 100) }, () => clientV4(t, url, { auth }).io)
    const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => {
      const socket = managers[i % managers.length]!.socket(`/category/${1 + (i % 97)}/item/${i}/chat`, { auth })
      socket.connect()
      return new Promise<string>((resolve) => {
        socket.once('connect', () => { resolve('connected'); socket.disconnect() })
        socket.once('connect_error', (err: any) => { resolve(err.data?.code ?? err.message); socket.disconnect() })
      })
    }))
    for (const manager of managers) manager.engine.close()
    return outcomes
  }
  const unauthorized = await flood(3000, {})
  t.ok(unauthorized.every((code) => code === codes.FORBIDDEN), 'every unauthorized creator is refused with its code')
  t.equal(router.stats().namespaces, 1, 'nothing created by them')

  const authorized = await flood(1000, { token: 'secret' })
  t.equal(authorized.filter((o) => o === 'connected').length, 49, 'authorized creators fill the cap')
  t.ok(authorized.filter((o) => o !== 'connected').every((o) => o === codes.LIMIT), 'and the rest get NS_LIMIT')
  t.ok(router.stats().namespaces <= 50, 'the live count stays at the cap')

  const heard = once(bob, 'said')
  alice.emit('say', 'still here')
  t.same(await heard, ['still here'], 'an authorized client of a live namespace still chats')
  global.gc?.()
  const growth = process.memoryUsage().heapUsed - heapBefore
  t.ok(growth < 32 * 1024 * 1024, `heap growth bounded (${(growth / 1024 / 1024).toFixed(1)} MB for 4000 refusals and 49 namespaces)`)
})

t.test('churn: thousands of namespaces created, emptied and removed leave nothing behind', { timeout: 120_000 }, async (t) => {
  const { io, url } = await startServer(t)
  // Every client of this test has one address: 400 creations at once are over the per-client bound.
  const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 0, maxNamespacesPerClient: Infinity, routes: { chat: CHAT } })
  const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const rootListeners = io.sockets.listeners('connection').length
  for (let round = 0; round < 5; round++) {
    // Fresh Managers each round: a socket.io-client 4 Manager reused after hundreds of its sockets
    // disconnected loses some new CONNECTs (seen with plain socket.io too, without the router).
    const managers = Array.from({ length: 4 }, () => clientV4(t, url).io)
    await Promise.all(Array.from({ length: 400 }, (_, i) => {
      const socket = managers[i % managers.length]!.socket(`/category/${round}/item/${i}/chat`)
      socket.connect()
      return new Promise<void>((resolve) => socket.once('connect', () => { socket.disconnect(); resolve() }))
    }))
    for (const manager of managers) manager.engine.close()
  }
  await until(() => router.stats().namespaces === 0, 'every namespace removed', 10_000)
  const stats = router.stats()
  t.equal(stats.created, 2000)
  t.equal(stats.removed, 2000)
  t.equal(stats.namespaces, 0, 'zero live namespaces')
  t.same(namespaceNames(io), ['/'], 'nothing left in the registry')
  t.equal(io.parentNsps.values().next().value.children.size, 0, 'nor among the parent’s children')
  t.equal(io.sockets.listeners('connection').length, rootListeners, 'no listeners added on /')
  await until(() => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= timersBefore, 'no timers left')
  t.pass('no timers left')
})

t.test('router: a socket past the middleware when its namespace is removed is disconnected, not orphaned', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
  let release: (() => void) | undefined
  router.on('namespace.created', ({ namespace }) => namespace.use((_s, next) => { release = () => next() }))
  const refused = nextEvent(router, 'refused')
  const client = clientV4(t, url + '/category/1/item/2/chat')
  const gone = once(client, 'disconnect')
  await until(() => release !== undefined, "the socket is in the namespace's middleware")
  await router.close()
  release!()
  t.equal((await gone)[0], 'io server disconnect')
  t.equal((await refused).code, codes.UNAVAILABLE)
  t.same(namespaceNames(io), ['/'])
})
