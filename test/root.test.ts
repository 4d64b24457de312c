import { createServer } from 'node:http'
import t from 'tap'
import { Server } from 'socket.io'
import { codes } from '../lib/errors.js'
import { compileRoutes } from '../lib/matcher.js'
import { createRefusals } from '../lib/refusals.js'
import { guardRoot } from '../lib/root.js'
import { createNamespaceRouter } from '../lib/router.js'
import { createEmitter } from '../lib/safe-emit.js'
import {
  accepts,
  answerEcho,
  clientV2,
  clientV4,
  connected,
  isLegacyServer,
  namespaceNames,
  once,
  rawPolling,
  roundTrip,
  SERVER_LINES,
  startServer,
  versionOf,
  type ServerKind,
} from './helpers/io.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const NS = '/category/1/item/2/chat'

// guardRoot on its own: one route, `/ok`, and a refusal record of its own.
const matcher = compileRoutes({ ok: '/ok' })
const refusals = createRefusals(createEmitter())
const guard = { matcher, maxNameLength: 256, refusals }

// With v2 clients, which every server but 3.0 accepts (3.0 and v3/v4 clients: router-versions.test.ts).
for (const kind of SERVER_LINES.filter((kind) => accepts(kind, '2'))) {
  t.test(`policies on socket.io ${versionOf(kind)}`, async (t) => {
    t.test('ignore attaches nothing', async (t) => {
      const { io, url } = await startServer(t, kind)
      const before = io.sockets.listeners('connection').length
      const detach = guardRoot(io, { queryKey: 'ns', policy: 'ignore', ...guard })
      t.equal(io.sockets.listeners('connection').length, before)
      await connected(clientV2(t, url, { query: 'ns=/nope' }))
      detach()
    })

    t.test('disconnect: connects, then is disconnected, as the seed does', async (t) => {
      const { io, url } = await startServer(t, kind)
      const detach = guardRoot(io, { queryKey: 'ns', policy: 'disconnect', ...guard })
      // Registered after the guard's listener: an echo answered means the guard let the socket be.
      answerEcho(io.sockets)
      const client = clientV2(t, url, { query: 'ns=/nope' })
      const disconnected = once(client, 'disconnect')
      await connected(client)
      await disconnected
      const ok = clientV2(t, url, { query: 'ns=/ok' })
      await connected(ok)
      // The guard disconnects in the same turn as `connection`, so its disconnect would come before the ack.
      await roundTrip(ok)
      t.ok(ok.connected)
      detach()
      const after = clientV2(t, url, { query: 'ns=/nope' })
      await connected(after)
      await roundTrip(after)
      t.ok(after.connected, 'detached')
    })

    t.test('refuse: a coded error, before connecting', async (t) => {
      const { io, url } = await startServer(t, kind)
      const detach = guardRoot(io, { queryKey: 'ns', policy: 'refuse', ...guard })
      const [data] = await once(clientV2(t, url, { query: 'ns=/nope' }), 'error')
      t.equal(data.code, codes.NO_ROUTE)
      await connected(clientV2(t, url, { query: 'ns=/ok' }))
      detach()
      if (!isLegacyServer(kind)) t.equal(io.sockets._fns.length, 0, 'the middleware is removed')
      else t.equal(io.sockets.fns.length, 1, 'socket.io 2.x keeps a pass-through in its place')
      await connected(clientV2(t, url, { query: 'ns=/nope' }))
    })
  })
}

for (const kind of ['3.0', '4'] as ServerKind[]) {
  t.test(`refuse: v4 clients on / get connect_error with the code (socket.io ${versionOf(kind)})`, async (t) => {
    const { io, url } = await startServer(t, kind)
    guardRoot(io, { queryKey: 'room', policy: 'refuse', ...guard })
    const [err] = await once(clientV4(t, url, { query: { room: '/nope' } }), 'connect_error')
    t.equal(err.data.code, codes.NO_ROUTE)
    const [missing] = await once(clientV4(t, url), 'connect_error')
    t.equal(missing.data.code, codes.QUERY_MISSING)
    await connected(clientV4(t, url, { query: { room: '/ok' } }))
  })
}

// Hostile `ns` values, through the router with `unmatched: 'refuse'`, from v2 and v4 clients: each
// gets a coded refusal, creates nothing, and leaves the legitimate client next to it unaffected.
const hostile: [string, string | undefined, string][] = [
  ['missing', undefined, codes.QUERY_MISSING],
  ['empty', '', codes.QUERY_MISSING],
  ['__proto__', '__proto__', codes.INVALID_NAME],
  ['constructor', 'constructor', codes.INVALID_NAME],
  ['toString', 'toString', codes.INVALID_NAME],
  ['hasOwnProperty', 'hasOwnProperty', codes.INVALID_NAME],
  ['/__proto__', '/__proto__', codes.NO_ROUTE],
  ['..', '/category/1/item/../chat', codes.INVALID_NAME],
  ['/./', '/category/./1/item/2/chat', codes.INVALID_NAME],
  ['//', '/category//1/item/2/chat', codes.INVALID_NAME],
  ['trailing /', NS + '/', codes.INVALID_NAME],
  ['%00', NS + '%00', codes.INVALID_NAME],
  ['NUL decoded', NS + '\0', codes.INVALID_NAME],
  ['malformed %', NS + '%zz', codes.INVALID_NAME],
  ['%2F', '/category%2F1/item/2/chat', codes.INVALID_NAME],
  ['non-ASCII', '/category/1/item/2/ch\u00e4t', codes.INVALID_NAME],
  ['mixed case', '/Category/1/item/2/chat', codes.NO_ROUTE],
  ['regex metacharacters', '/category/.*/item/2/chat', codes.INVALID_NAME],
  ['more regex', '/category/(1|2)/item/[2]/chat', codes.INVALID_NAME],
  ['newline', '/category/1/item/2/chat\n/x', codes.INVALID_NAME],
  ['param constraint', '/n/abc', codes.NO_ROUTE],
  ['8 KB', '/' + 'a'.repeat(8 * 1024), codes.INVALID_NAME],
]

for (const kind of SERVER_LINES.filter((kind) => accepts(kind, '2'))) {
  t.test(`hostile ns values on a socket.io ${versionOf(kind)} server`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { unmatched: 'refuse', routes: { chat: CHAT, num: '/n/:id(^\\d+$)' } })
    const legit = clientV2(t, url + NS, { query: 'ns=' + NS })
    await connected(legit)
    for (const [label, value, code] of hostile) {
      const query = value === undefined ? '' : 'ns=' + encodeURIComponent(value)
      const [data] = await once(clientV2(t, url, { query }), 'error')
      t.equal(data.code, code, `v2 client: ${label}`)
      if (!isLegacyServer(kind)) {
        const [err] = await once(clientV4(t, url, { query: value === undefined ? {} : { ns: value } }), 'connect_error')
        t.equal(err.data.code, code, `v4 client: ${label}`)
      }
    }
    t.same(namespaceNames(io).sort(), ['/', NS], 'nothing created')
    const echo = once(legit, 'pong')
    router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('pong')
    t.same(await echo, [], 'the legitimate client is unaffected')
  })
}

// socket.io 2.x, 3.x and 4.0 to 4.7 hand a repeated key over as an array; 4.8 keeps the last value.
const repeated: [ServerKind, string][] = [
  ['2.1', codes.QUERY_INVALID], ['2', codes.QUERY_INVALID], ['3.0', codes.QUERY_INVALID], ['3.1', codes.QUERY_INVALID],
  ['4.0', codes.QUERY_INVALID], ['4', codes.NO_ROUTE],
]
for (const [kind, code] of repeated) {
  t.test(`a repeated ns key (?ns=a&ns=b) on socket.io ${versionOf(kind)}`, async (t) => {
    const { io, url } = await startServer(t, kind)
    createNamespaceRouter(io, { unmatched: 'refuse', routes: { chat: CHAT } })
    if (accepts(kind, '2')) {
      const legacy = await rawPolling(url, `ns=${NS}&ns=/x`, [], 3)
      t.match(legacy, code, 'protocol v3 (socket.io-client 2), joined to / by the server')
    }
    if (!isLegacyServer(kind)) t.match(await rawPolling(url, `ns=${NS}&ns=/x`, ['0']), code, 'protocol v5 (socket.io-client 3/4)')
    t.same(namespaceNames(io), ['/'])
  })
}

t.test('a 64 KB ns: Node refuses the request line, or the router refuses the name', async (t) => {
  const { io, url } = await startServer(t)
  createNamespaceRouter(io, { unmatched: 'refuse', routes: { chat: CHAT } })
  const huge = '/' + 'a'.repeat(64 * 1024)
  const [err] = await once(clientV4(t, url, { query: { ns: huge }, transports: ['polling'] }), 'connect_error')
  t.match(err.message, /xhr poll error|websocket error/, 'over the default 16 KB header limit, Node answers 431')
  t.same(namespaceNames(io), ['/'])

  const http = createServer({ maxHeaderSize: 256 * 1024 })
  const roomy = new Server(http)
  createNamespaceRouter(roomy, { unmatched: 'refuse', routes: { chat: CHAT } })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { roomy.close() })
  const roomyUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const [refused] = await once(clientV4(t, roomyUrl, { query: { ns: huge }, transports: ['polling'] }), 'connect_error')
  t.equal(refused.data.code, codes.INVALID_NAME, 'with room for it, the router refuses it by length')
})
