// Hostile namespace names and handshakes, through real v2 and v4 clients: each gets a coded
// refusal, nothing is created, the server stays up and a legitimate client next to it is unaffected.
import t from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import {
  accepts,
  clientV2,
  clientV4,
  connected,
  namespaceNames,
  once,
  SERVER_LINES,
  startServer,
  versionOf,
} from './helpers/io.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const NS = '/category/1/item/2/chat'

const hostile: [string, string, string][] = [
  ['__proto__', '/__proto__', codes.NO_ROUTE],
  ['constructor', '/constructor', codes.NO_ROUTE],
  ['toString', '/toString', codes.NO_ROUTE],
  ['hasOwnProperty', '/hasOwnProperty', codes.NO_ROUTE],
  ['..', '/category/1/item/../chat', codes.INVALID_NAME],
  ['/./', '/category/./1/item/2/chat', codes.INVALID_NAME],
  ['// inside', '/category//1/item/2/chat', codes.INVALID_NAME],
  ['/// at the start', '///category/1/item/2/chat', codes.INVALID_NAME],
  ['trailing /', NS + '/', codes.INVALID_NAME],
  ['%00', '/category/1/item/2/chat%00', codes.INVALID_NAME],
  ['malformed %', '/category/%zz/item/2/chat', codes.INVALID_NAME],
  ['%2F', '/category%2F1/item/2/chat', codes.INVALID_NAME],
  ['non-ASCII', '/category/\u0661/item/2/chat', codes.INVALID_NAME],
  ['mixed case', '/Category/1/item/2/chat', codes.NO_ROUTE],
  ['regex metacharacters', '/category/.+/item/2/chat', codes.INVALID_NAME],
  ['newline', '/category/1/item/2/chat\n', codes.INVALID_NAME],
  ['param constraint', '/n/12a', codes.NO_ROUTE],
  ['param too long', '/category/' + '1'.repeat(101) + '/item/2/chat', codes.NO_ROUTE],
  ['64 KB', '/' + 'a'.repeat(64 * 1024), codes.INVALID_NAME],
]

// Every server line, through each client generation it takes (socket.io 3.0 takes no v2 client).
for (const kind of SERVER_LINES) {
  t.test(`hostile namespace names on a socket.io ${versionOf(kind)} server`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { routes: { chat: CHAT, num: '/n/:id(^\\d+$)' } })
    const legit = accepts(kind, '2') ? clientV2(t, url + NS, { query: 'ns=' + NS }) : clientV4(t, url + NS)
    await connected(legit)
    // A Manager's socket(nsp) sends the name as it is, with no URL parsing on the client side.
    const v2 = accepts(kind, '2') ? clientV2(t, url) : undefined
    if (v2) await connected(v2)
    const v4 = accepts(kind, '4') ? clientV4(t, url) : undefined
    for (const [label, name, code] of hostile) {
      if (v2) {
        const [data] = await once(v2.io.socket(name), 'error')
        t.equal(data.code, code, `v2 client: ${label}`)
      }
      if (v4) {
        const socket = v4.io.socket(name)
        socket.connect()
        const [err] = await once(socket, 'connect_error')
        t.equal(err.data.code, code, `v4 client: ${label}`)
      }
    }
    t.same(namespaceNames(io).sort(), ['/', NS], 'nothing created')
    t.same(router.stats().namespaces, 1)
    const heard = once(legit, 'still')
    router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('still')
    t.same(await heard, [], 'the legitimate client is unaffected')
  })
}

t.test('the same name never makes two namespaces', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: CHAT } })
  const spellings = [NS, `/${NS}`]
  await Promise.all([
    connected(clientV4(t, url + NS)),
    connected(clientV2(t, url + NS, { query: 'ns=' + NS })),
    connected(clientV2(t, `${url}/${NS}`, { query: 'ns=' + NS })),
  ])
  t.same(namespaceNames(io).sort(), ['/', NS], `${spellings.join(' and ')} are one namespace`)
  t.equal(router.stats().sockets, 3)
})

t.test('a handshake auth that is not an object never reaches the router', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes: { chat: { path: CHAT, authorize: ({ auth }) => auth.token === 'x' } } })
  const legit = clientV4(t, url + NS, { auth: { token: 'x' } })
  await connected(legit)
  for (const auth of ['a string', ['array']]) {
    // socket.io's parser rejects a CONNECT whose payload is not an object and closes the connection.
    const [reason] = await once(clientV4(t, url + '/category/1/item/3/chat', { auth: auth as never }), 'disconnect')
    t.equal(reason, 'transport close', JSON.stringify(auth))
  }
  // socket.io-client sends no payload for a number: the router sees {} and refuses with its code.
  const [err] = await once(clientV4(t, url + '/category/1/item/3/chat', { auth: 42 as never }), 'connect_error')
  t.equal(err.data.code, codes.FORBIDDEN)
  t.equal(router.stats().namespaces, 1, 'nothing created')
  const heard = once(legit, 'still')
  router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('still')
  t.same(await heard, [])
})
