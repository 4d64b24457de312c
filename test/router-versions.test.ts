// The router's behaviour on every tested pair of socket.io server and socket.io-client versions of the
// peer range (`socket.io >=2.1.0 <5`), and the pairs socket.io itself does not connect.
import t, { type Test } from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import {
  accepts,
  client,
  clientFor,
  connected,
  EVERY_CLIENT,
  EVERY_SERVER,
  installedVersion,
  isLegacyClient,
  isLegacyServer,
  namespaceNames,
  nextEvent,
  once,
  refusal,
  SERVER_LINES,
  startServer,
  versionOf,
  type ClientKind,
  type ServerKind,
} from './helpers/io.js'
import { rawClient } from './helpers/raw.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const NS = '/category/1/item/2/chat'

t.test('each kind is the version it names', async (t) => {
  for (const kind of EVERY_SERVER) t.ok(installedVersion(kind, 'server').startsWith(`${versionOf(kind)}.`), `socket.io ${versionOf(kind)}`)
  for (const kind of EVERY_CLIENT) t.ok(installedVersion(kind, 'client').startsWith(`${versionOf(kind)}.`), `socket.io-client ${versionOf(kind)}`)
})

for (const serverKind of EVERY_SERVER) {
  t.test(`socket.io ${versionOf(serverKind)} server`, async (t) => {
    for (const clientKind of EVERY_CLIENT) {
      if (accepts(serverKind, clientKind)) pair(t, serverKind, clientKind)
      else unsupported(t, serverKind, clientKind)
    }
  })
}

function pair(t: Test, serverKind: ServerKind, clientKind: ClientKind): void {
  // A v2 client passes `ns` in its query, the seed's way; v3/v4 clients need nothing but the name.
  const ns = (name: string) => (isLegacyClient(clientKind) ? { ns: name } : undefined)

  t.test(`socket.io-client ${versionOf(clientKind)}`, async (t) => {
    const { io, url } = await startServer(t, serverKind)
    const calls: [string, unknown, boolean][] = []
    const router = createNamespaceRouter(io, {
      emptyNamespaceTtlMs: 20,
      routes: {
        chat: {
          path: CHAT,
          authorize: ({ phase, auth, handshake }) => {
            calls.push([phase, auth.token, handshake !== undefined])
            return auth.token === 'secret'
          },
        },
      },
    })

    // Routing by name, with the authorize phases.
    const announced = nextEvent(router, 'dynamic.group.chat')
    const member = client(t, clientKind, url + NS, { query: ns(NS), auth: { token: 'secret' } })
    const event = await announced
    t.same(event.params, { categoryId: '1', itemId: '2' })
    t.equal(event.namespace.name, NS)
    t.equal(event.socket.nsp, event.namespace, 'the socket of the routed namespace, not of /')
    t.same(calls, [['create', 'secret', false], ['join', 'secret', true]], 'authorize: create with auth, join with the handshake too')
    await connected(member)
    event.socket.emit('topic', 'to the client')
    t.same(await once(member, 'topic'), ['to the client'])
    const heard = once(event.socket, 'message')
    member.emit('message', 'to the server')
    t.same(await heard, ['to the server'])

    // The io-handler snippet's spelling, `${serverIoUrl}/${namespace}`: an alias of the same namespace.
    const aliasAnnounced = nextEvent(router, 'dynamic.group.chat')
    const snippet = client(t, clientKind, `${url}/${NS}`, { query: { ns: NS }, auth: { token: 'secret' } })
    t.equal((await aliasAnnounced).namespace, event.namespace, 'both spellings are one namespace')
    await connected(snippet)
    const toSnippet = once(snippet, 'topic')
    router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('topic', 'to everyone')
    t.same(await toSnippet, ['to everyone'])

    // Coded refusals, before creation: nothing is registered.
    const forbidden = await refusal(clientKind, client(t, clientKind, url + '/category/9/item/2/chat', { query: ns('/category/9/item/2/chat') }))
    t.equal(forbidden.data?.code, codes.FORBIDDEN)
    t.type(forbidden.message, 'string')
    const unrouted = await refusal(clientKind, client(t, clientKind, url + '/nope', { query: ns(NS) }))
    t.equal(unrouted.data?.code, codes.NO_ROUTE)
    t.same(namespaceNames(io).sort(), ['/', NS])

    // Removal of the empty namespace, and a fresh one on the next CONNECT.
    const removed = nextEvent(router, 'namespace.removed')
    member.close()
    snippet.close()
    t.same(await removed, { route: 'chat', name: NS })
    t.same(namespaceNames(io), ['/'])
    const again = nextEvent(router, 'dynamic.group.chat')
    const back = client(t, clientKind, url + NS, { query: ns(NS), auth: { token: 'secret' } })
    t.not((await again).namespace, event.namespace, 'a new namespace')
    await connected(back)

    // close(): the client is disconnected and the server is as it was.
    const gone = once(back, 'disconnect')
    await router.close()
    await gone
    t.same(namespaceNames(io), ['/'])
    t.equal(io.parentNsps.size, 0)
    t.notOk(Object.prototype.hasOwnProperty.call(io, 'of'), 'io.of restored')
    const after = await refusal(clientKind, client(t, clientKind, url + NS, { query: ns(NS) }))
    t.equal(after.message, 'Invalid namespace')
  })

  t.test(`socket.io-client ${versionOf(clientKind)}: the ns query on /, refused with a code`, async (t) => {
    const { io, url } = await startServer(t, serverKind)
    const router = createNamespaceRouter(io, { unmatched: 'refuse', routes: { chat: CHAT } })
    const refused = nextEvent(router, 'refused')
    const stranger = await refusal(clientKind, client(t, clientKind, url, { query: { ns: '/nope' } }))
    t.equal(stranger.data?.code, codes.NO_ROUTE)
    t.equal((await refused).code, codes.NO_ROUTE)
    await connected(client(t, clientKind, url, { query: { ns: NS } }))
  })
}

// socket.io's own limits: these pairs cannot connect.
function unsupported(t: Test, serverKind: ServerKind, clientKind: ClientKind): void {
  t.test(`socket.io-client ${versionOf(clientKind)} is not supported: it cannot connect`, async (t) => {
    const { io, url } = await startServer(t, serverKind)
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 20, routes: { chat: CHAT } })
    if (isLegacyServer(serverKind)) {
      // Over websocket the 2.x server reads the client's CONNECT as its own kind and lets it in; the
      // client recognises the 2.x answer and gives up, and the namespace goes like any empty one.
      const socket = client(t, clientKind, url + NS)
      const [err] = await once(socket, 'connect_error')
      t.match(err.message, /trying to reach a Socket\.IO server in v2\.x with a v3\.x client/)
      t.same(namespaceNames(io).sort(), ['/', NS], 'socket.io 2.x took the CONNECT')
      const removed = nextEvent(router, 'namespace.removed')
      socket.close()
      await removed
    } else {
      // engine.io 4.0 (socket.io 3.0, no allowEIO3) answers a protocol 3 handshake in protocol 4
      // framing, which socket.io-client 2 cannot read: no CONNECT is ever sent.
      const [err] = await once(client(t, clientKind, url + NS, { transports: ['polling'] }), 'connect_error')
      t.equal(err.message, 'server error')
    }
    t.same(namespaceNames(io), ['/'])
  })
}

// socket.io's own `io.of(name)` must not make a routed namespace that skips the route (socket.io#4164).
for (const kind of SERVER_LINES) {
  t.test(`socket.io ${versionOf(kind)}: io.of(name) for a routed name gets the route's authorize`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { routes: { chat: { path: CHAT, authorize: ({ auth }) => auth.token === 'secret' } } })
    let hooked = false
    const nsp = io.of(NS, () => { hooked = true })
    t.equal(nsp, router.namespace('chat', { categoryId: '1', itemId: '2' }))
    const refused = await refusal(clientFor(kind), client(t, clientFor(kind), url + NS, { query: { ns: NS } }))
    t.equal(refused.data?.code, codes.FORBIDDEN)
    await connected(client(t, clientFor(kind), url + NS, { query: { ns: NS }, auth: { token: 'secret' } }))
    t.ok(hooked, 'the connect callback of io.of is kept')
    t.equal(io.of('/plain').name, '/plain', 'unrouted names are plain namespaces')
  })
}

// A namespace whose only socket was refused goes at once (README, "Lifecycle"), on every version: 2.x, 3.x
// and 4.0 to 4.6 say nothing when their middleware refuses a socket, so the router hears it where it runs.
for (const kind of EVERY_SERVER) {
  t.test(`socket.io ${versionOf(kind)}: a namespace whose only socket an app middleware refused goes at once`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 3_600_000, routes: { chat: CHAT } })
    router.on('namespace.created', ({ namespace }) => namespace.use((_socket, next) => next(new Error('no'))))
    const raw = await rawClient(t, url, { eio: isLegacyServer(kind) ? 3 : 4 })
    const removed = nextEvent(router, 'namespace.removed')
    t.equal(await raw.connect(NS), 'no')
    t.same(await removed, { route: 'chat', name: NS }, 'removed while the connection stays open')
    t.equal(raw.socket.readyState, raw.socket.OPEN)
    t.same(namespaceNames(io), ['/'])
  })
}
