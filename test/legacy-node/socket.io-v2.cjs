'use strict'
// The legacy drop-in and the router, loaded with require() from the packed package, on a real socket.io 2.x
// server with real socket.io-client 2.x clients: what a socket.io 2 app on old Node runs.
const { test, assert, startV2Server, clientV2, once, nextEvent } = require('./harness.cjs')

const CHAT = /category\/(\d+)\/item\/(\d+)\/chat/
const NS = '/category/1/item/2/chat'

test('require() finds the packed package, with or without "exports" support', async () => {
  // Node before 12.17 reads legacy/package.json; later ones read "exports": both must land on the same file.
  const packed = /[\\/]node_modules[\\/]socket\.io-ns-router[\\/]dist[\\/]cjs[\\/]/
  // (assert.match came in Node 12.16.)
  const legacyFile = require.resolve('socket.io-ns-router/legacy')
  const mainFile = require.resolve('socket.io-ns-router')
  assert.ok(new RegExp(packed.source + 'legacy-entry\\.cjs$').test(legacyFile), legacyFile)
  assert.ok(new RegExp(packed.source + 'index\\.js$').test(mainFile), mainFile)
  const legacy = require('socket.io-ns-router/legacy')
  assert.strictEqual(typeof legacy, 'function')
  assert.strictEqual(typeof legacy.ioHandler, 'function')
})

test('the drop-in routes the io-handler snippet\'s //category/... by name and emits dynamic.group.chat with the captures', async (t) => {
  const { io, url } = await startV2Server(t)
  const ee = require('socket.io-ns-router/legacy')(io, { chat: CHAT })
  assert.strictEqual(typeof ee.on, 'function')
  const seen = []
  ee.on('dynamic.group.chat', (socket, categoryId, itemId) => {
    seen.push([socket.nsp.name, categoryId, itemId])
    socket.emit('topic', `category ${categoryId}, item ${itemId}`)
  })
  // The io-handler frontend snippet, verbatim: `${serverIoUrl}/${namespace}` with namespace starting with '/'.
  const serverIoUrl = url
  const namespace = NS
  const socket = clientV2(t, `${serverIoUrl}/${namespace}`, { query: `ns=${namespace}` })
  assert.deepStrictEqual(await once(socket, 'topic'), ['category 1, item 2'])
  assert.deepStrictEqual(seen, [[NS, '1', '2']])
})

test('an unrouted name gets NS_NO_ROUTE, and / without a routed ns is disconnected', async (t) => {
  const { io, url } = await startV2Server(t)
  require('socket.io-ns-router/legacy')(io, { chat: CHAT })
  const [data] = await once(clientV2(t, url + '/nope', { query: 'ns=' + NS }), 'error')
  assert.strictEqual(data.code, 'NS_NO_ROUTE')
  await once(clientV2(t, url, { query: 'ns=/elsewhere' }), 'disconnect')
  assert.deepStrictEqual(Object.keys(io.nsps), ['/'])
})

test('authorize refuses with NS_FORBIDDEN (the CommonJS main entry)', async (t) => {
  const { io, url } = await startV2Server(t)
  const { createNamespaceRouter, codes } = require('socket.io-ns-router')
  const router = createNamespaceRouter(io, {
    routes: { chat: { path: '/category/:categoryId/item/:itemId/chat', authorize: ({ params }) => params.categoryId !== '9' } },
  })
  const refused = nextEvent(router, 'refused')
  const [data] = await once(clientV2(t, url + '/category/9/item/2/chat', { query: 'ns=/category/9/item/2/chat' }), 'error')
  assert.strictEqual(data.code, codes.FORBIDDEN)
  assert.strictEqual(data.code, 'NS_FORBIDDEN')
  assert.strictEqual((await refused).code, 'NS_FORBIDDEN')
  assert.deepStrictEqual(Object.keys(io.nsps), ['/'])
})

test('an empty namespace is removed, then close() leaves socket.io as it was', async (t) => {
  const { io, url } = await startV2Server(t)
  const originalOf = io.of
  const { createNamespaceRouter } = require('socket.io-ns-router')
  const router = createNamespaceRouter(io, { routes: { chat: CHAT }, emptyNamespaceTtlMs: 20 })
  const announced = nextEvent(router, 'dynamic.group.chat')
  const client = clientV2(t, url + NS, { query: 'ns=' + NS })
  const { captures } = await announced
  assert.deepStrictEqual(captures, ['1', '2'])
  assert.ok(Object.keys(io.nsps).includes(NS))

  const removed = nextEvent(router, 'namespace.removed')
  client.close()
  assert.strictEqual((await removed).name, NS)
  assert.ok(!Object.keys(io.nsps).includes(NS), 'removed from io.nsps')
  assert.strictEqual(router.stats().namespaces, 0)

  const again = nextEvent(router, 'dynamic.group.chat')
  clientV2(t, url + NS, { query: 'ns=' + NS })
  await again
  await router.close()
  assert.deepStrictEqual(Object.keys(io.nsps), ['/'], 'close() removes the namespaces it created')
  assert.strictEqual(io.of, originalOf, 'close() restores io.of')
  const [error] = await once(clientV2(t, url + NS, { query: 'ns=' + NS }), 'error')
  assert.strictEqual(error, 'Invalid namespace', 'after close() the name routes nowhere')
})
