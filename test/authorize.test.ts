// A route's `authorize` in both phases, its refusals and the `authorized` event (lib/authorize.ts),
// through the router on real servers and clients.
import t from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV2, clientV4, connected, deferred, namespaceNames, nextEvent, once, startServer, until, versionOf, type ServerKind } from './helpers/io.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const NS = '/category/1/item/2/chat'

t.test('refusals reach connect_error with err.data.code, for false, throw and reject', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, {
    routes: {
      no: { path: '/no/:id', authorize: () => false },
      throws: { path: '/throws/:id', authorize: () => { throw new Error('boom') } },
      rejects: { path: '/rejects/:id', authorize: async () => { throw new Error('boom') } },
      truthy: { path: '/truthy/:id', authorize: (() => 'yes') as never },
    },
  })
  const errors: unknown[] = []
  router.on('error', ({ error }) => errors.push(error))
  for (const path of ['/no/1', '/throws/1', '/rejects/1', '/truthy/1']) {
    const client = clientV4(t, url + path)
    const [err] = await once(client, 'connect_error')
    t.equal(err.data.code, codes.FORBIDDEN, path)
    t.type(err.message, 'string')
  }
  t.equal(errors.length, 2, 'throws and rejections are reported on the error event')
  t.same(namespaceNames(io), ['/'])
})

t.test('authorize sees the auth payload before creation and the handshake after', async (t) => {
  const { io, url } = await startServer(t)
  const calls: { phase: string; token: unknown; header: unknown }[] = []
  createNamespaceRouter(io, {
    routes: {
      tenant: {
        path: '/t/:tenant',
        authorize: ({ phase, auth, handshake }) => {
          calls.push({ phase, token: auth.token, header: handshake?.headers['x-app'] })
          return auth.token === 'secret' && (!handshake || handshake.headers['x-app'] === 'demo')
        },
      },
    },
  })
  const ok = clientV4(t, url + '/t/acme', { auth: { token: 'secret' }, extraHeaders: { 'x-app': 'demo' } })
  await connected(ok)
  t.same(calls, [
    { phase: 'create', token: 'secret', header: undefined },
    { phase: 'join', token: 'secret', header: 'demo' },
  ])
  const wrongHeader = clientV4(t, url + '/t/acme', { auth: { token: 'secret' }, extraHeaders: { 'x-app': 'evil' } })
  const [err] = await once(wrongHeader, 'connect_error')
  t.equal(err.data.code, codes.FORBIDDEN, 'a handshake check refuses joiners of a live namespace')
})


t.test('router: `authorized` reports each authorize call, timed, only while listened to', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, {
    routes: {
      chat: {
        path: '/chat/:id',
        authorize: async ({ params }) => {
          if (params.id === 'boom') throw new Error('no answer')
          return params.id !== 'no'
        },
      },
      plain: '/plain/:id',
    },
  })
  const heard: { route: string; phase: string; name: string; outcome: string; durationMs: number }[] = []
  const errors: string[] = []
  router.on('error', ({ during }) => errors.push(during))
  router.on('authorized', (event) => {
    heard.push(event)
    throw new Error('a failing metrics handler')
  })
  await connected(clientV4(t, url + '/chat/1'))
  await connected(clientV4(t, url + '/chat/1'))
  await connected(clientV4(t, url + '/chat/2'))
  await nextEvent(clientV4(t, url + '/chat/no'), 'connect_error')
  await nextEvent(clientV4(t, url + '/chat/boom'), 'connect_error')
  t.same(heard.map(({ phase, name, outcome }) => `${phase} ${name} ${outcome}`), [
    'create /chat/1 allowed', 'join /chat/1 allowed', 'join /chat/1 allowed', 'create /chat/2 allowed', 'join /chat/2 allowed',
    'create /chat/no denied', 'create /chat/boom error',
  ])
  t.ok(heard.every(({ route, durationMs }) => route === 'chat' && durationMs >= 0 && durationMs < 60_000))
  t.same(errors.filter((during) => during === 'authorized handler').length, heard.length, 'a throwing handler is reported, not fatal')
  t.same(errors.filter((during) => during === 'authorize').length, 1)
  t.same(router.stats().socketsByRoute, { chat: 3, plain: 0 }, 'connected sockets per route, every route listed')
})

t.test('socket.io 2: the join phase reads the handshake query as auth', async (t) => {
  const { io, url } = await startServer(t, '2')
  const calls: { phase: string; token: unknown }[] = []
  createNamespaceRouter(io, {
    routes: {
      tenant: {
        path: '/t/:tenant',
        authorize: ({ phase, auth }) => {
          calls.push({ phase, token: auth.token })
          return auth.token === 'secret'
        },
      },
      plain: '/p/:id',
    },
  })
  await connected(clientV2(t, url + '/p/1'))
  t.same(calls, [], 'a route without authorize is not asked')
  await connected(clientV2(t, url + '/t/acme', { query: 'token=secret' }))
  t.same(calls.find(({ phase }) => phase === 'join'), { phase: 'join', token: 'secret' })
  const [err] = await once(clientV2(t, url + '/t/acme', { query: 'token=wrong' }), 'error')
  t.match(err, { code: codes.FORBIDDEN })
})

for (const kind of ['2.1', '2'] as ServerKind[]) {
  t.test(`socket.io ${versionOf(kind)} with async middleware on /: a buffered CONNECT is still judged`, async (t) => {
    // socket.io 2.x buffers a namespace CONNECT until / has connected, then replays it with the
    // buffer index in place of its query: authorize sees {} as auth on that replay.
    const { io, url } = await startServer(t, kind)
    const pass = deferred()
    io.use((_socket: unknown, next: () => void) => { void pass.promise.then(() => next()) })
    const auths: unknown[] = []
    createNamespaceRouter(io, {
      routes: { chat: { path: CHAT, authorize: ({ phase, auth }) => { if (phase === 'create') auths.push(auth); return auth.key === 'k' } } },
    })
    const refused = once(clientV2(t, url + NS, { query: 'key=nope' }), 'error')
    // / is held until the namespace CONNECT has been judged once: the replay comes after.
    await until(() => auths.length === 1, 'the namespace CONNECT is judged while / is held')
    pass.resolve()
    const [data] = await refused
    t.equal(data.code, codes.FORBIDDEN)
    t.same(auths, [{ key: 'nope' }, {}])
    t.same(namespaceNames(io), ['/'])
  })
}
