// The ESM build from the packed package, on the Node versions it claims (scripts/test-packed.js runs this file
// from Node 16 on: the ES2022 build uses `??=`, which Node 14 cannot parse).
import harness from './harness.cjs'
import { codes, createNamespaceRouter, ioHandler as fromMain } from 'socket.io-ns-router'
import { ioHandler } from 'socket.io-ns-router/legacy'

const { test, assert, startV2Server, clientV2, once, nextEvent } = harness
const NS = '/category/1/item/2/chat'

test('import: the drop-in routes a v2 client by name on socket.io 2.x', async (t) => {
  assert.strictEqual(fromMain, ioHandler)
  const { io, url } = await startV2Server(t)
  const ee = ioHandler(io, { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
  ee.on('dynamic.group.chat', (socket, categoryId, itemId) => socket.emit('topic', categoryId + itemId))
  assert.deepStrictEqual(await once(clientV2(t, `${url}/${NS}`, { query: `ns=${NS}` }), 'topic'), ['12'])
})

test('import: createNamespaceRouter refuses with a code', async (t) => {
  const { io, url } = await startV2Server(t)
  const router = createNamespaceRouter(io, { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
  const refused = nextEvent(router, 'refused')
  const [data] = await once(clientV2(t, url + '/nope'), 'error')
  assert.strictEqual(data.code, codes.NO_ROUTE)
  assert.strictEqual((await refused).code, 'NS_NO_ROUTE')
  await router.close()
})
