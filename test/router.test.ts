import t from 'tap'
import { codes, NamespaceRouterError } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import {
  answerEcho,
  clientV2,
  clientV4,
  connected,
  deferred,
  namespaceNames,
  nextEvent,
  once,
  roundTrip,
  startServer,
  until,
  type ServerKind,
  versionOf,
} from './helpers/io.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const NS = '/category/1/item/2/chat'

// socket.io-client 2 on every server line that takes it (all but 3.0: see router-versions.test.ts).
for (const kind of ['2.1', '2', '3.1', '4'] as ServerKind[]) {
  t.test(`socket.io ${versionOf(kind)} server`, async (t) => {
    t.test('v2 client, the seed way: namespace in the URL, ns in the query', async (t) => {
      const { io, url } = await startServer(t, kind)
      const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
      const announced = nextEvent(router, 'dynamic.group.chat')
      const client = clientV2(t, url + NS, { query: 'ns=' + NS })
      const event = await announced
      t.equal(event.route, 'chat')
      t.same(event.params, { categoryId: '1', itemId: '2' })
      t.same(event.captures, ['1', '2'])
      t.equal(event.namespace.name, NS)
      t.equal(event.socket.nsp, event.namespace, 'the socket of the routed namespace, not of /')
      event.socket.emit('topic', 'hello')
      t.same(await once(client, 'topic'), ['hello'])
    })

    t.test("the seed's frontend snippet verbatim: //category/... with ns=/category/...", async (t) => {
      const { io, url } = await startServer(t, kind)
      const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
      const announced = nextEvent(router, 'dynamic.group.chat')
      // Verbatim from seed 001, with serverIoUrl = url.
      const serverIoUrl = url
      const namespace = '/category/1/item/2/chat'
      const socket = clientV2(t, `${serverIoUrl}/${namespace}`, { query: `ns=${namespace}`, resource: 'socket.io' })
      const event = await announced
      t.same(event.params, { categoryId: '1', itemId: '2' })
      t.equal(event.namespace.name, namespace, 'both spellings are one namespace')
      event.socket.emit('topic', 'first')
      t.same(await once(socket, 'topic'), ['first'])
      // The client talks back on its own spelling, and broadcasts from the canonical namespace reach it.
      const heard = once(event.socket, 'message')
      socket.emit('message', 'from seed client')
      t.same(await heard, ['from seed client'])
      router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('topic', 'to everyone')
      t.same(await once(socket, 'topic'), ['to everyone'])
    })

    t.test('async middleware on / (an auth check still pending when the namespace CONNECT arrives) does not break routing', async (t) => {
      const { io, url } = await startServer(t, kind)
      const pass = deferred()
      io.use((_socket: unknown, next: () => void) => { void pass.promise.then(() => next()) })
      const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
      let arrived = false
      io.engine.on('connection', (connection: any) => connection.on('packet', (packet: { data?: unknown }) => {
        if (typeof packet.data === 'string' && packet.data.includes(NS)) arrived = true
      }))
      const announced = nextEvent(router, 'dynamic.group.chat')
      // socket.io 3.1 and 4.x connect the namespace before / is through: listen from the start.
      const joined = connected(clientV2(t, url + NS, { query: 'ns=' + NS }))
      await until(() => arrived, 'the namespace CONNECT reaches the server while / is held')
      pass.resolve()
      await joined
      t.equal((await announced).namespace.name, NS)
    })

    t.test('a v2 Manager multiplexing two routed namespaces', async (t) => {
      const { io, url } = await startServer(t, kind)
      const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
      const seen: string[] = []
      router.on('dynamic.group.chat', ({ namespace }) => seen.push(namespace.name))
      const first = clientV2(t, url + NS, { query: 'ns=' + NS })
      await connected(first)
      const second = first.io.socket('/category/1/item/3/chat')
      t.teardown(() => second.close())
      await connected(second)
      t.same(seen.sort(), [NS, '/category/1/item/3/chat'])
    })

    t.test('two clients racing into a new namespace: set up once, both announced', async (t) => {
      const { io, url } = await startServer(t, kind)
      let creations = 0
      // Both CONNECTs are held in authorize until both have arrived: neither finds the namespace made.
      const pass = deferred()
      let creating = 0
      const router = createNamespaceRouter(io, {
        routes: { chat: { path: CHAT, authorize: async ({ phase }) => { if (phase === 'create') creating++; await pass.promise; return true } } },
      })
      router.on('namespace.created', () => creations++)
      const sockets: unknown[] = []
      router.on('dynamic.group.chat', ({ socket }) => sockets.push(socket))
      const a = clientV2(t, url + NS, { query: 'ns=' + NS })
      const b = clientV2(t, url + NS, { query: 'ns=' + NS })
      await until(() => creating === 2, 'both CONNECTs wait in authorize')
      pass.resolve()
      await Promise.all([connected(a), connected(b)])
      t.equal(creations, 1)
      t.equal(sockets.length, 2)
      const nsp = io.of(NS)
      const admit = nsp._fns ?? nsp.fns
      t.equal(admit.length, 1, 'the router middleware is installed once')
      t.equal(nsp.listeners('connection').length, 1, 'the announce listener is installed once')
    })

    t.test('seeds 000, 002, 003 inside a routed namespace: broadcast, middleware errors, rooms', async (t) => {
      const { io, url } = await startServer(t, kind)
      const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
      router.on('namespace.created', ({ namespace }) => {
        namespace.use((socket, next) => {
          const query = socket.handshake.query as Record<string, string>
          if (query.blocked) next(Object.assign(new Error('thou shall not pass'), { data: { code: 'APP_BLOCKED' } }))
          else next()
        })
      })
      router.on('dynamic.group.chat', ({ socket }) => {
        socket.on('message', (text: string) => socket.broadcast.emit('message', text))
        socket.on('joinRoom', (room: string) => {
          socket.join(room)
          io.of(socket.nsp.name).to(room).emit('newUser', `joined ${room}`)
        })
      })
      const a = clientV2(t, url + NS, { query: 'ns=' + NS })
      const b = clientV2(t, url + NS, { query: 'ns=' + NS })
      await Promise.all([connected(a), connected(b)])
      const heard = once(b, 'message')
      a.emit('message', 'hi')
      t.same(await heard, ['hi'], 'socket.broadcast.emit reaches the others')
      const joined = once(a, 'newUser')
      a.emit('joinRoom', 'csgo')
      t.same(await joined, ['joined csgo'], 'io.of(ns).to(room).emit reaches the room')
      const blocked = clientV2(t, url + NS, { query: 'ns=' + NS + '&blocked=1' })
      const [error] = await once(blocked, 'error')
      t.match(JSON.stringify(error), /APP_BLOCKED/, 'namespace middleware errors reach the client')
    })

    t.test('authorize refusing before creation: coded error, no namespace left', async (t) => {
      const { io, url } = await startServer(t, kind)
      const router = createNamespaceRouter(io, {
        routes: { chat: { path: CHAT, authorize: ({ params }) => params.categoryId !== '9' } },
      })
      const refused = nextEvent(router, 'refused')
      const client = clientV2(t, url + '/category/9/item/2/chat', { query: 'ns=/category/9/item/2/chat' })
      // socket.io sends v2 clients err.data alone, on either server generation.
      const [data] = await once(client, 'error')
      t.equal(data.code, codes.FORBIDDEN)
      t.type(data.message, 'string')
      t.equal((await refused).code, codes.FORBIDDEN)
      await until(() => !namespaceNames(io).includes('/category/9/item/2/chat'), 'nothing registered')
      t.pass('nothing registered')
    })
  })
}

t.test('socket.io 4.0 (before the fix of socket.io#4136): racing creators still get one setup', async (t) => {
  const { io, url } = await startServer(t, '4.0')
  let creations = 0
  const pass = deferred()
  let creating = 0
  const router = createNamespaceRouter(io, {
    routes: { chat: { path: CHAT, authorize: async ({ phase }) => { if (phase === 'create') creating++; await pass.promise; return true } } },
  })
  router.on('namespace.created', () => creations++)
  let announced = 0
  router.on('dynamic.group.chat', () => announced++)
  const joining = [clientV4(t, url + NS), clientV4(t, url + NS), clientV2(t, url + NS)].map((client) => connected(client))
  await until(() => creating === 3, 'the three CONNECTs wait in authorize')
  pass.resolve()
  await Promise.all(joining)
  t.equal(creations, 1)
  t.equal(announced, 3)
  t.equal(io.of(NS)._fns.length, 1)
})

t.test('close() while authorize is pending creates nothing', async (t) => {
  const { io, url } = await startServer(t)
  let release = () => {}
  let asked = false
  const router = createNamespaceRouter(io, {
    routes: { chat: { path: CHAT, authorize: () => new Promise<boolean>((resolve) => { asked = true; release = () => resolve(true) }) } },
  })
  const client = clientV4(t, url + NS)
  await until(() => asked, 'the creation is in authorize')
  await router.close()
  release()
  const [err] = await once(client, 'connect_error')
  t.equal(err.message, 'Invalid namespace')
  t.same(namespaceNames(io), ['/'])
})

t.test('v4 clients, which never touch /', async (t) => {
  for (const query of [undefined, { ns: NS }]) {
    t.test(`straight to the namespace, query ${JSON.stringify(query)}`, async (t) => {
      const { io, url } = await startServer(t)
      const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
      const announced = nextEvent(router, 'dynamic.group.chat')
      const client = clientV4(t, url + NS, query ? { query } : {})
      const event = await announced
      t.same(event.params, { categoryId: '1', itemId: '2' })
      event.socket.emit('topic', 'hi')
      t.same(await once(client, 'topic'), ['hi'])
    })
  }

  t.test('a flood of unauthorized creators creates nothing', async (t) => {
    const { io, url } = await startServer(t)
    const router = createNamespaceRouter(io, {
      routes: { chat: { path: CHAT, authorize: ({ auth }) => auth.token === 'secret' } },
    })
    let created = 0
    router.on('namespace.created', () => created++)
    const refusals = await Promise.all(
      Array.from({ length: 50 }, (_, i) => once(clientV4(t, `${url}/category/1/item/${i}/chat`), 'connect_error')),
    )
    t.ok(refusals.every(([err]) => err.data.code === codes.FORBIDDEN))
    t.equal(created, 0)
    t.same(namespaceNames(io), ['/'])
  })

  t.test('an unrouted or invalid name gets a coded refusal, and nothing is registered', async (t) => {
    const { io, url } = await startServer(t)
    createNamespaceRouter(io, { routes: { chat: CHAT } })
    for (const [name, code] of [['/nope', codes.NO_ROUTE], [NS + '/', codes.INVALID_NAME]] as const) {
      const [err] = await once(clientV4(t, url + name), 'connect_error')
      t.equal(err.data.code, code, name)
    }
    t.same(namespaceNames(io), ['/'])
  })

  t.test('parents registered after the router still get unrouted names', async (t) => {
    const { io, url } = await startServer(t)
    createNamespaceRouter(io, { routes: { chat: CHAT } })
    io.of(/^\/other-\d+$/)
    await connected(clientV4(t, url + '/other-1'))
    const [err] = await once(clientV4(t, url + '/nope'), 'connect_error')
    t.equal(err.message, 'Invalid namespace', "then an unrouted name gets socket.io's own refusal")
  })
})

t.test('RegExp routes: whole-name match, named groups, positional captures', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, {
    routes: { legacy: /category\/(\d+)\/item\/(\d+)\/chat/, named: /^\/n\/(?<id>\d+)$/ },
  })
  const legacy = nextEvent(router, 'dynamic.group.legacy')
  clientV4(t, url + NS)
  t.same((await legacy).captures, ['1', '2'])
  t.same((await legacy).params, {})
  const named = nextEvent(router, 'dynamic.group.named')
  clientV4(t, url + '/n/42')
  t.same((await named).params, { id: '42' })
  const [err] = await once(clientV4(t, url + '/evil' + NS), 'connect_error')
  t.equal(err.data.code, codes.NO_ROUTE, 'an unanchored seed regex does not admit /evil/category/...')
})

t.test('router.namespace: typed reverse routing to the live namespace', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, {
    routes: { chat: CHAT, files: '/files/*', num: '/n/:id(^\\d+$)', legacy: /x/ },
  })
  const created = nextEvent(router, 'namespace.created')
  const nsp = router.namespace('chat', { categoryId: '1', itemId: '2' })
  t.equal(nsp.name, NS)
  t.equal((await created).namespace, nsp)
  t.equal(router.namespace('chat', { categoryId: '1', itemId: '2' }), nsp, 'the same one every time')
  t.equal(io.of(NS), nsp)
  t.equal(router.namespace('files', { '*': 'a/b' }).name, '/files/a/b')
  t.throws(() => router.namespace('num', { id: 'x' }), { code: codes.REVERSE_ROUTE })
  t.throws(() => router.namespace('chat', { categoryId: '', itemId: '2' }), { code: codes.REVERSE_ROUTE })
  t.throws(() => router.namespace('legacy' as never, {} as never), { code: codes.REVERSE_ROUTE })
  const client = clientV4(t, url + NS)
  await connected(client)
  const got = once(client, 'news')
  nsp.emit('news', 1)
  t.same(await got, [1])
})

t.test('io.of(name) for a routed name gets the route setup (no auth bypass)', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: { path: CHAT, authorize: ({ auth }) => auth.ok === true } } })
  let hooked = false
  const nsp = io.of(NS, () => { hooked = true })
  t.equal(nsp, router.namespace('chat', { categoryId: '1', itemId: '2' }))
  const [err] = await once(clientV4(t, url + NS), 'connect_error')
  t.equal(err.data.code, codes.FORBIDDEN)
  await connected(clientV4(t, url + NS, { auth: { ok: true } }))
  t.ok(hooked, 'the connect callback of io.of is kept')
  t.equal(io.of('/plain').name, '/plain', 'unrouted names are plain namespaces')
  t.equal(io.of('chat-lobby').name, '/chat-lobby', 'socket.io still prefixes a missing slash')
})

t.test('the ns query on /: ignore by default, or disconnect', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: CHAT }, unmatched: 'disconnect' })
  // Registered after the router's listener on /: an echo answered means the router let the socket be.
  answerEcho(io.sockets)
  const refused: string[] = []
  router.on('refused', ({ code }) => refused.push(code))
  for (const query of ['', 'ns=/nope', 'ns=/category/x/item/2/chat/..']) {
    const client = clientV2(t, url, { query })
    await once(client, 'disconnect')
  }
  const kept = clientV2(t, url, { query: 'ns=' + NS })
  await connected(kept)
  // The router disconnects in the same turn as `connection`, so its disconnect would come before the ack.
  await roundTrip(kept)
  t.ok(kept.connected, 'a routed ns stays')
  t.same(refused, [codes.QUERY_MISSING, codes.NO_ROUTE, codes.INVALID_NAME])

  const other = await startServer(t)
  createNamespaceRouter(other.io, { routes: { chat: CHAT } })
  answerEcho(other.io.sockets)
  const ignored = clientV2(t, other.url, { query: 'ns=/nope' })
  await connected(ignored)
  await roundTrip(ignored)
  t.ok(ignored.connected, 'ignored by default')
})

t.test('a throwing or rejecting handler never takes the server down', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
  const reported: string[] = []
  router.on('error', ({ during }) => reported.push(during))
  router.on('dynamic.group.chat', () => { throw new Error('sync') })
  router.on('dynamic.group.chat', async () => { throw new Error('async') })
  router.emitter.on('*', () => { throw new Error('wildcard') })
  const announced = nextEvent(router, 'dynamic.group.chat')
  await connected(clientV4(t, url + NS))
  await announced
  await until(() => reported.length === 4, 'the rejection is reported too')
  t.same(reported.sort(), [
    'dynamic.group handler', // sync throw
    'dynamic.group handler', // rejection
    'dynamic.group handler', // '*' on dynamic.group.chat
    'namespace.created handler', // '*' on namespace.created
  ])
  await connected(clientV4(t, url + '/category/3/item/4/chat'))
})

t.test('close() detaches everything and removes the namespaces it created', async (t) => {
  const { io, url } = await startServer(t)
  const rootListeners = io.sockets.listeners('connection').length
  const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
  const client = clientV4(t, url + NS)
  await connected(client)
  const gone = once(client, 'disconnect')
  await router.close()
  await router.close()
  await gone
  t.same(namespaceNames(io), ['/'])
  t.equal(io.parentNsps.size, 0)
  t.equal(io.sockets.listeners('connection').length, rootListeners)
  t.notOk(Object.hasOwn(io, 'of'))
  t.throws(() => router.namespace('chat', { categoryId: '1', itemId: '2' }), { code: codes.CLOSED })
  const [err] = await once(clientV4(t, url + NS), 'connect_error')
  t.equal(err.message, 'Invalid namespace')
})

t.test('a router made before the server is attached hooks the engine when it comes', async (t) => {
  const { Server } = await import('socket.io')
  const { createServer } = await import('node:http')
  const io = new Server({ allowEIO3: true })
  const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
  const http = createServer()
  io.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { io.close() })
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const announced = nextEvent(router, 'dynamic.group.chat')
  const client = clientV2(t, `${url}/${NS}`, { query: `ns=${NS}` })
  await announced
  await connected(client)
  await router.close()
})

t.test('options are validated', async (t) => {
  const { io } = await startServer(t)
  t.throws(() => createNamespaceRouter(io, { routes: {}, query: '' }), { code: codes.OPTIONS })
  t.throws(() => createNamespaceRouter(io, { routes: {}, unmatched: 'drop' as never }), { code: codes.OPTIONS })
  t.throws(() => createNamespaceRouter(io, { routes: {}, maxNameLength: 1 }), { code: codes.OPTIONS })
  t.throws(() => createNamespaceRouter(io, { routes: {}, maxParamLength: 0 }), { code: codes.OPTIONS })
  t.throws(() => createNamespaceRouter(io, { routes: { 'a b': '/x' } }), NamespaceRouterError)
  t.equal(io.parentNsps.size, 0, 'a rejected configuration attaches nothing')
})

t.test('a socket.io 4.8 socket whose namespace is removed before it reaches the router is refused', async (t) => {
  // 4.8 looks the namespace up, then creates the socket a microtask later: a removal scheduled in
  // between (here, close() queued while the CONNECT is being read) must not leave it in a dead namespace.
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
  router.namespace('chat', { categoryId: '1', itemId: '2' })
  io.engine.on('connection', (connection: any) => {
    connection.on('packet', (packet: { data?: unknown }) => {
      if (typeof packet.data === 'string' && packet.data.startsWith('0' + NS)) queueMicrotask(() => void router.close())
    })
  })
  const refused = nextEvent(router, 'refused')
  const [err] = await once(clientV4(t, url + NS), 'connect_error')
  t.equal(err.data.code, codes.UNAVAILABLE)
  t.equal((await refused).code, codes.UNAVAILABLE)
})

t.test('the creator refused in the join phase leaves no namespace; a racer keeps it alive', async (t) => {
  const { io, url } = await startServer(t)
  // Each authorize call waits until the test answers it, so the order below is the one under test.
  const calls: Array<{ who: unknown; phase: string; answer: () => void }> = []
  const router = createNamespaceRouter(io, {
    routes: {
      chat: {
        path: CHAT,
        authorize: ({ phase, auth, handshake }) => new Promise<boolean>((resolve) => {
          calls.push({ who: auth.who, phase, answer: () => resolve(!handshake || handshake.query.ok === '1') })
        }),
      },
    },
  })
  const answer = async (who: string, phase: 'create' | 'join') => {
    await until(() => calls.some((call) => call.who === who && call.phase === phase), `${who} is in its ${phase} authorize`)
    calls.find((call) => call.who === who && call.phase === phase)?.answer()
  }
  const removed = nextEvent(router, 'namespace.removed')
  const creator = clientV4(t, url + NS, { auth: { who: 'creator' } })
  const refusal = once(creator, 'connect_error')
  await answer('creator', 'create')
  await answer('creator', 'join')
  const [err] = await refusal
  t.equal(err.data.code, codes.FORBIDDEN)
  t.same(await removed, { route: 'chat', name: NS })
  t.same(namespaceNames(io), ['/'])

  const removals: unknown[] = []
  router.on('namespace.removed', (event) => removals.push(event))
  const refusedFirst = clientV4(t, url + NS, { auth: { who: 'refused' } })
  const refusedError = once(refusedFirst, 'connect_error')
  const admitted = clientV4(t, url + NS, { auth: { who: 'admitted' }, query: { ok: '1' } })
  const admittedConnected = connected(admitted)
  await until(() => calls.filter((call) => call.phase === 'create').length === 3, 'both ask to create the namespace')
  // The refused one creates it; the other finds it made and is still joining when the first is refused.
  await answer('refused', 'create')
  await answer('admitted', 'create')
  await until(() => calls.some((call) => call.who === 'admitted' && call.phase === 'join'), 'the other is joining')
  await answer('refused', 'join')
  await refusedError
  await answer('admitted', 'join')
  await admittedConnected
  // An abandoned namespace goes a turn after the refusal (setImmediate), long before the admitted socket's
  // CONNECT answer left the server; after that only the 30 s grace period could remove it.
  t.same(removals, [], 'nothing was removed')
  t.same(namespaceNames(io), ['/', NS], 'a socket still on its way in keeps the namespace')
})
