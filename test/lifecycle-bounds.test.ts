// Issue "one client cannot lock everyone out": the bounds per connection and per client, the server's own
// calls during a flood, and creations abandoned half-way, through the router with real clients.
import t, { type Test } from 'tap'
import { forwardedFor } from '../lib/client-key.js'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV2, clientV4, connected, nextEvent, once, startServer, until } from './helpers/io.js'
import { rawClient, type Outcome } from './helpers/raw.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const chat = (item: number | string, category = 1) => `/category/${category}/item/${item}/chat`
const count = (outcomes: Outcome[]) => outcomes.reduce<Record<string, number>>((all, o) => ({ ...all, [o]: (all[o] ?? 0) + 1 }), {})

// One engine.io connection, speaking through each kind of client, that opens `names` at once.
type Opener = (t: Test, url: string) => Promise<{ open(names: string[]): Promise<Outcome[]>; leave(name: string): void }>

const outcomeOf = (socket: any): Promise<Outcome> => new Promise((resolve) => {
  socket.once('connect', () => resolve('connected'))
  socket.once('connect_error', (err: any) => resolve(err.data?.code ?? err.message))
  socket.once('error', (err: any) => resolve(err?.code ?? String(err)))
})

const openers: Record<string, Opener> = {
  'socket.io-client 4 Manager': async (t, url) => {
    const manager = clientV4(t, url).io
    const sockets = new Map<string, any>()
    return {
      open: (names) => Promise.all(names.map((name) => {
        // A new socket connects by itself; one socket.io-client 4 kept from a refusal is asked again.
        const known = sockets.has(name)
        const socket = manager.socket(name)
        sockets.set(name, socket)
        const outcome = outcomeOf(socket)
        if (known) socket.connect()
        return outcome
      })),
      leave: (name) => sockets.get(name).disconnect(),
    }
  },
  'socket.io-client 2 Manager': async (t, url) => {
    const root = clientV2(t, url + '/')
    await connected(root)
    const sockets = new Map<string, any>()
    return {
      open: (names) => Promise.all(names.map((name) => {
        // socket.io-client 2 keeps a refused socket per name: asking again means opening it again.
        const known = sockets.has(name)
        const socket = root.io.socket(name)
        sockets.set(name, socket)
        const outcome = outcomeOf(socket)
        if (known) (socket as unknown as { open(): void }).open()
        return outcome
      })),
      leave: (name) => sockets.get(name).disconnect(),
    }
  },
  'raw websocket, EIO=4': async (t, url) => {
    const raw = await rawClient(t, url, { eio: 4 })
    return { open: (names) => raw.connectAll(names), leave: (name) => raw.leave(name) }
  },
  'raw websocket, EIO=3': async (t, url) => {
    const raw = await rawClient(t, url, { eio: 3 })
    return { open: (names) => raw.connectAll(names), leave: (name) => raw.leave(name) }
  },
}

for (const [kind, opener] of Object.entries(openers)) {
  t.test(`${kind}: one connection stops at its bound; the rest of it is unaffected`, async (t) => {
    const { io, url } = await startServer(t)
    const router = createNamespaceRouter(io, { maxNamespacesPerConnection: 5, maxNamespacesPerClient: Infinity, routes: { chat: CHAT } })
    router.on('dynamic.group.chat', ({ socket }) => socket.on('ping', (n: number) => socket.emit('pong', n)))
    // A namespace someone else created: joining it needs room on the connection too.
    await connected(clientV4(t, url + chat(99)))

    const connection = await opener(t, url)
    // Ten at once: the bound counts the ones still joining, so exactly five get in.
    const names = Array.from({ length: 10 }, (_, i) => chat(i))
    const outcomes = await connection.open(names)
    t.same(count(outcomes), { connected: 5, [codes.CONNECTION_LIMIT]: 5 }, 'five in, five refused with NS_CONNECTION_LIMIT')
    t.equal(router.stats().namespaces, 6, 'the refused ones created nothing')
    const inside = names.filter((_, i) => outcomes[i] === 'connected')
    t.same(await connection.open([chat(99)]), [codes.CONNECTION_LIMIT], 'joining a namespace that exists needs room too')
    t.same(router.stats().refusals, { [codes.CONNECTION_LIMIT]: 6 })

    // The connection's namespaces keep working, and leaving one makes room for another.
    t.equal(router.stats().sockets, 6)
    connection.leave(inside[0]!)
    await until(() => router.stats().sockets === 5, 'the server saw it leave')
    t.same(await connection.open([chat(99)]), ['connected'], 'a place freed by leaving is taken again')
    t.same(await connection.open([inside[0]!]), [codes.CONNECTION_LIMIT], 'and the bound still holds')
  })
}

t.test('per client: many connections from one source share one budget; another source does not', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 0, maxNamespacesPerConnection: 5, maxNamespacesPerClient: 7, routes: { chat: CHAT } })
  const a = await rawClient(t, url)
  const b = await rawClient(t, url)
  t.same(count(await a.connectAll([1, 2, 3, 4, 5].map((i) => chat(i)))), { connected: 5 })
  t.same(await b.connectAll([6, 7, 8].map((i) => chat(i))), ['connected', 'connected', codes.CLIENT_LIMIT], 'the seventh creation is the last')
  t.same(await b.connect(chat(1)), 'connected', 'joining what exists needs no creation budget')
  const other = await rawClient(t, url, { localAddress: '127.0.0.2' })
  t.same(await other.connectAll([8, 9].map((i) => chat(i))), ['connected', 'connected'], 'another source creates')
  t.same(router.stats().refusals, { [codes.CLIENT_LIMIT]: 1 })

  // The budget is for live namespaces: when one created by this source is removed, it can create again.
  const removed = nextEvent(router, 'namespace.removed')
  await a.close()
  await b.close()
  t.ok(await removed)
  await until(() => router.stats().namespaces === 2, 'the namespaces of the closed connections are gone')
  const again = await rawClient(t, url)
  t.same(await again.connect(chat(10)), 'connected')
})

t.test('per client behind a trusted proxy: X-Forwarded-For picks the client, and only from the proxy', async (t) => {
  const { io, url } = await startServer(t)
  createNamespaceRouter(io, { maxNamespacesPerClient: 1, clientKey: forwardedFor(['127.0.0.1']), routes: { chat: CHAT } })
  const viaProxy = (client: string) => rawClient(t, url, { headers: { 'x-forwarded-for': `${client}, 127.0.0.1` } })
  t.equal(await (await viaProxy('198.51.100.1')).connect(chat(1)), 'connected')
  t.equal(await (await viaProxy('198.51.100.1')).connect(chat(2)), codes.CLIENT_LIMIT, 'the same client through the proxy')
  t.equal(await (await viaProxy('198.51.100.2')).connect(chat(3)), 'connected', 'another client through the proxy')
  const forger = (client: string) => rawClient(t, url, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': client } })
  t.equal(await (await forger('198.51.100.3')).connect(chat(4)), 'connected')
  t.equal(await (await forger('198.51.100.4')).connect(chat(5)), codes.CLIENT_LIMIT, 'a forged header from an untrusted source counts for nothing')
})

t.test("a client flood never makes the server's own router.namespace() throw", async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { maxNamespaces: 20, routes: { chat: CHAT } })
  const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']
  const flood = await Promise.all(sources.map(async (localAddress, s) => {
    const raw = await rawClient(t, url, { localAddress })
    return raw.connectAll(Array.from({ length: 8 }, (_, i) => chat(i, s + 10)))
  }))
  t.same(count(flood.flat()), { connected: 20, [codes.LIMIT]: 20 }, 'clients fill maxNamespaces')
  // The README's announce: a new item, while the flood holds every place clients can take.
  const namespace = router.namespace('chat', { categoryId: '1', itemId: '1' })
  t.equal(router.stats().namespaces, 21, 'server code is outside the client cap')
  const reader = clientV4(t, url + chat(1))
  await connected(reader)
  const heard = once(reader, 'announcement')
  router.namespace('chat', { categoryId: '1', itemId: '1' }).emit('announcement', 'new item')
  t.same(await heard, ['new item'], 'a client joins the announced namespace and hears it')
  t.equal(router.namespace('chat', { categoryId: '1', itemId: '1' }), namespace)
})

t.test('abandoned creations free their slots at once, whatever the grace period', async (t) => {
  const { io, url } = await startServer(t)
  let releaseJoin: (allowed: boolean) => void = () => {}
  let releaseCreate: (allowed: boolean) => void = () => {}
  let deciding = false
  const router = createNamespaceRouter(io, {
    emptyNamespaceTtlMs: 3_600_000,
    maxNamespacesPerClient: 1,
    routes: {
      chat: {
        path: CHAT,
        authorize: ({ phase, params }) => {
          if (params.itemId === 'slow-join' && phase === 'join') return new Promise((resolve) => (releaseJoin = resolve))
          if (params.itemId === 'slow-create' && phase === 'create') {
            deciding = true
            return new Promise((resolve) => (releaseCreate = resolve))
          }
          return true
        },
      },
    },
  })
  router.on('namespace.created', ({ namespace }) => {
    if (namespace.name === chat('refused-by-app')) namespace.use((_socket, next) => next(new Error('no')))
  })

  // The connection closes while its socket is in the namespace's middleware: the namespace goes at once.
  const first = await rawClient(t, url)
  const created = nextEvent(router, 'namespace.created')
  void first.connect(chat('slow-join'))
  await created
  await until(() => router.stats().joining === 1, 'the socket is in the middleware')
  const removed = nextEvent(router, 'namespace.removed')
  await first.close()
  releaseJoin(true)
  t.same(await removed, { route: 'chat', name: chat('slow-join') }, 'removed, not kept for the hour of grace')
  t.same(router.stats(), { ...router.stats(), namespaces: 0, joining: 0 })

  // The connection closes while the route's authorize decides on creation: nothing is created.
  const second = await rawClient(t, url)
  void second.connect(chat('slow-create'))
  await until(() => deciding, 'authorize is deciding')
  await second.close()
  releaseCreate(true)
  await new Promise(setImmediate) // the decision is taken in the microtasks after the promise settles
  t.equal(router.stats().created, 1, 'nothing created for a client that left')

  // The app's own middleware refuses the only socket: the namespace goes at once.
  const third = await rawClient(t, url)
  const refusedRemoved = nextEvent(router, 'namespace.removed')
  t.equal(await third.connect(chat('refused-by-app')), 'no')
  t.same(await refusedRemoved, { route: 'chat', name: chat('refused-by-app') })

  // Each of those gave its client budget back: the same source creates again (maxNamespacesPerClient: 1).
  t.equal(await third.connect(chat(1)), 'connected')
  t.same(router.stats().byRoute, { chat: 1 })
})

t.test('a CONNECT the router cannot tie to a connection at creation still meets its bound at the door', async (t) => {
  const { io, url } = await startServer(t)
  // An app parent registered first that answers later, all four at once: socket.io asks the router after
  // other CONNECTs came in, and the four creations are checked in one turn.
  const answers: Array<() => void> = []
  io.of((_name: string, _auth: unknown, next: (error: null, allow: boolean) => void) => {
    answers.push(() => next(null, false))
    if (answers.length === 4) for (const answer of answers) answer()
  })
  const router = createNamespaceRouter(io, { maxNamespacesPerConnection: 1, maxNamespaces: 3, routes: { chat: CHAT } })
  const raw = await rawClient(t, url)
  const outcomes = await raw.connectAll([chat(1), chat(2), chat(3), chat(4)])
  t.same(count(outcomes), { connected: 1, [codes.CONNECTION_LIMIT]: 2, [codes.LIMIT]: 1 }, 'maxNamespaces at creation, the connection bound in the middleware')
  await until(() => router.stats().namespaces === 1, 'the namespaces refused at the door are gone')
})

t.test('socket.io 2.x: a creation waiting for / to connect is let go when its connection closes', async (t) => {
  const { io, url } = await startServer(t, '2')
  // socket.io 2.x holds a namespace CONNECT until `/` is through its middleware: hold `/` there.
  let held = false
  io.use((_socket: unknown, _next: () => void) => { held = true })
  const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 3_600_000, routes: { chat: CHAT } })
  const raw = await rawClient(t, url, { eio: 3 })
  await until(() => held, '/ is in its middleware')
  const created = nextEvent(router, 'namespace.created')
  void raw.connect(chat(1))
  await created
  t.equal(router.stats().joining, 0, 'no socket yet: socket.io keeps the CONNECT for later')
  const removed = nextEvent(router, 'namespace.removed')
  await raw.close()
  t.same(await removed, { route: 'chat', name: chat(1) }, 'removed at once, not after the hour of grace')
})

for (const kind of ['2', '3.1', '4.0', '4.6', '4'] as const) {
  t.test(`socket.io ${kind === '4' ? '4.8' : kind}: sockets the app's own middleware refused free their places and their namespaces at once`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 3_600_000, maxNamespacesPerConnection: 2, routes: { chat: CHAT } })
    router.on('namespace.created', ({ namespace }) => {
      if (namespace.name !== chat(1)) namespace.use((_socket, next) => next(new Error('no')))
    })
    const removed: string[] = []
    router.on('namespace.removed', ({ name }) => removed.push(name))
    const raw = await rawClient(t, url, { eio: kind === '2' ? 3 : 4 })
    t.same(await raw.connectAll([chat(2), chat(3)]), ['no', 'no'])
    await until(() => removed.length === 2, 'their namespaces, which nobody joined, go')
    t.same(removed.sort(), [chat(2), chat(3)])
    t.same(await raw.connect(chat(1)), 'connected', 'the refused ones no longer count against the connection')
  })
}

// A masked WebSocket text frame, as a client sends it (a zero mask leaves the payload as it is).
const frame = (text: string): Buffer => {
  const payload = Buffer.from(text)
  if (payload.length > 125) throw new Error('short frames only')
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload])
}

for (const kind of ['4.6', '4'] as const) {
  t.test(`socket.io ${kind === '4' ? '4.8' : kind}: a socket whose connection closes in the turn of its CONNECT is let go, and a namespace nobody connected to with it`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 3_600_000, maxNamespacesPerConnection: 1, routes: { chat: CHAT } })
    const raw = await rawClient(t, url)
    const removed = nextEvent(router, 'namespace.removed')
    // One TCP write: a CONNECT, then a packet socket.io cannot decode, on which it closes the connection
    // at once, before the socket it is making has gone through its middleware.
    ;(raw.socket as unknown as { _socket: { write(data: Buffer): void } })._socket.write(Buffer.concat([frame(`40${chat(1)},`), frame('4Z')]))
    t.same(await removed, { route: 'chat', name: chat(1) }, 'removed at once, not after the hour of grace')
    await until(() => router.stats().joining === 0, 'no socket is left joining')
    t.same(router.stats(), { ...router.stats(), namespaces: 0, sockets: 0, joining: 0 })
    // A namespace server code made, joined the same way: the socket is let go, the namespace stays.
    router.namespace('chat', { categoryId: '1', itemId: '2' })
    const again = await rawClient(t, url)
    ;(again.socket as unknown as { _socket: { write(data: Buffer): void } })._socket.write(Buffer.concat([frame(`40${chat(2)},`), frame('4Z')]))
    await until(() => Object.keys(io.engine.clients).length === 0, 'socket.io closed the connection')
    await until(() => router.stats().joining === 0, 'no socket is left joining')
    t.same(router.stats(), { ...router.stats(), namespaces: 1, sockets: 0, joining: 0 })
  })
}

t.test("a join that completes in its turn adds no listener to its connection; one that waits, or follows another middleware, adds one 'close' listener", async (t) => {
  const { io, url } = await startServer(t)
  let release: (allowed: boolean) => void = () => {}
  const router = createNamespaceRouter(io, {
    routes: {
      chat: CHAT,
      slow: { path: '/slow/:id', authorize: ({ phase }) => (phase === 'join' ? new Promise<boolean>((resolve) => (release = resolve)) : true) },
      guarded: '/guarded/:id',
    },
  })
  router.on('namespace.created', ({ namespace }) => {
    if (namespace.name.startsWith('/guarded/')) namespace.use((_socket, next) => next())
  })
  const closeListeners = (): number[] => Object.values(io.engine.clients as Record<string, { listenerCount(event: string): number }>).map((c) => c.listenerCount('close'))
  // Plain socket.io: an engine.io connection with one socket on `/` (socket.io's own listeners).
  const plain = await rawClient(t, url)
  t.equal(await plain.connect('/'), 'connected')
  const [own] = closeListeners()
  const gone = () => until(() => Object.keys(io.engine.clients).length === 0, 'the server let the connection go')
  await plain.close()
  await gone()

  for (const name of ['/slow/1', '/guarded/1', chat(1)]) router.namespace(name === chat(1) ? 'chat' : name.startsWith('/slow') ? 'slow' : 'guarded', { id: '1', categoryId: '1', itemId: '1' } as never)
  const quick = await rawClient(t, url)
  t.equal(await quick.connect(chat(1)), 'connected')
  t.same(closeListeners(), [own], 'a join in its turn: no listener of the router')
  await quick.close()
  await gone()

  const guarded = await rawClient(t, url)
  t.equal(await guarded.connect('/guarded/1'), 'connected')
  t.same(closeListeners(), [own! + 1], 'another middleware after the router: one listener')
  await guarded.close()
  await gone()

  const slow = await rawClient(t, url)
  const outcome = slow.connect('/slow/1')
  await until(() => router.stats().joining === 1, 'the join waits for authorize')
  t.same(closeListeners(), [own! + 1], 'a join that waits: one listener')
  release(true)
  t.equal(await outcome, 'connected')
})
