// The router's side of the bounds: where each refusal is made (before creation, or at the namespace's door)
// and what a client sees of it.
import t from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, nextEvent, startServer } from './helpers/io.js'
import { rawClient } from './helpers/raw.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const chat = (item: number) => `/category/1/item/${item}/chat`

t.test('refusals before creation: the connection bound, then the client bound, each with its code and message', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { maxNamespacesPerConnection: 2, maxNamespacesPerClient: 3, routes: { chat: CHAT } })
  const refusals: { code: string; message: string; route?: string }[] = []
  router.on('refused', ({ code, message, route }) => refusals.push({ code, message, route }))
  const one = await rawClient(t, url)
  t.same(await one.connectAll([chat(1), chat(2), chat(3)]), ['connected', 'connected', codes.CONNECTION_LIMIT])
  const two = await rawClient(t, url)
  t.same(await two.connectAll([chat(4), chat(5)]), ['connected', codes.CLIENT_LIMIT])
  t.same(refusals, [
    { code: codes.CONNECTION_LIMIT, message: 'too many namespaces on this connection (2)', route: 'chat' },
    { code: codes.CLIENT_LIMIT, message: 'too many namespaces created by this client (3)', route: 'chat' },
  ])
  t.equal(router.stats().created, 3, 'neither refusal created anything')
})

t.test('refusal at the door: joining a live namespace over the connection bound', async (t) => {
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { maxNamespacesPerConnection: 1, routes: { chat: CHAT } })
  await connected(clientV4(t, url + chat(1)))
  const refused = nextEvent(router, 'refused')
  const raw = await rawClient(t, url)
  t.same(await raw.connectAll([chat(2), chat(1)]), ['connected', codes.CONNECTION_LIMIT])
  t.same(await refused, { code: codes.CONNECTION_LIMIT, message: 'too many namespaces on this connection (1)', name: chat(1), route: 'chat' })
  t.same(router.stats().refusals, { [codes.CONNECTION_LIMIT]: 1 })
})
