import t from 'tap'
import { ioHandler } from '../lib/legacy.js'
import {
  accepts,
  answerEcho,
  clientV2,
  clientV4,
  connected,
  namespaceNames,
  once,
  roundTrip,
  SERVER_LINES,
  startServer,
  until,
  versionOf,
} from './helpers/io.js'

const routes = { chat: /category\/(\d+)\/item\/(\d+)\/chat/ }

// The seed's clients are socket.io-client 2: every server line but 3.0, which cannot take them.
for (const kind of SERVER_LINES.filter((kind) => accepts(kind, '2'))) {
  t.test(`the seed app on socket.io ${versionOf(kind)}, with only its require line changed`, async (t) => {
    const { io, url } = await startServer(t, kind)
    // server.js + io-handler.js of seed 001, the require swapped for the drop-in.
    const ee = ioHandler(io, routes)
    const seen: unknown[][] = []
    ee.on('dynamic.group.chat', (socket, categoryId, itemId) => {
      seen.push([socket.nsp.name, categoryId, itemId])
      socket.emit('topic', `category ${categoryId}, item ${itemId}`)
    })
    // The seed's frontend integration, verbatim.
    const serverIoUrl = url
    const namespace = '/category/1/item/2/chat'
    const socket = clientV2(t, `${serverIoUrl}/${namespace}`, { query: `ns=${namespace}`, resource: 'socket.io' })
    t.same(await once(socket, 'topic'), ['category 1, item 2'])
    t.same(seen, [['/category/1/item/2/chat', '1', '2']])
  })

  t.test(`missing or unmatched ns on / is disconnected, as the seed does (${versionOf(kind)})`, async (t) => {
    const { io, url } = await startServer(t, kind)
    ioHandler(io, routes)
    // Registered after the drop-in's listener: an echo answered means it let the socket be.
    answerEcho(io.sockets)
    await once(clientV2(t, url), 'disconnect')
    await once(clientV2(t, url, { query: 'ns=/elsewhere' }), 'disconnect')
    const kept = clientV2(t, url, { query: 'ns=/category/1/item/2/chat' })
    await connected(kept)
    // The drop-in disconnects in the same turn as `connection`, so its disconnect would come before the ack.
    await roundTrip(kept)
    t.ok(kept.connected)
  })
}

t.test('listeners that throw or reject do not take the server down', async (t) => {
  const { io, url } = await startServer(t)
  const ee = ioHandler(io, routes)
  let calls = 0
  ee.on('dynamic.group.chat', () => { calls++; throw new Error('sync') })
  ee.on('dynamic.group.chat', async () => { calls++; throw new Error('async') })
  const errors: unknown[] = []
  ee.on('error', (error) => errors.push(error))
  await connected(clientV4(t, url + '/category/1/item/2/chat'))
  await connected(clientV4(t, url + '/category/1/item/3/chat'))
  // The rejection reaches the error event a few microtasks after the throw.
  await until(() => errors.length >= 4, 'every throw and rejection is reported')
  t.equal(calls, 4, 'a throwing listener does not stop the next one')
  t.equal(errors.length, 4, 'every throw and rejection reaches the error event')
  let onceCalls = 0
  ee.once('dynamic.group.chat', () => { onceCalls++ })
  await connected(clientV4(t, url + '/category/1/item/4/chat'))
  await connected(clientV4(t, url + '/category/1/item/5/chat'))
  // Both throwing listeners ran for both sockets (they run before the once listener, in the same emit), so a
  // second call of the once listener would have happened by now.
  await until(() => errors.length >= 8, 'both later sockets are announced')
  t.equal(calls, 8)
  t.equal(onceCalls, 1, 'once listeners still run once')
})

t.test('path patterns work in the drop-in too', async (t) => {
  const { io, url } = await startServer(t)
  const ee = ioHandler(io, { chat: '/category/:categoryId/item/:itemId/chat' })
  const args = once(ee, 'dynamic.group.chat')
  await connected(clientV4(t, url + '/category/7/item/8/chat'))
  const [socket, ...captures] = await args
  t.same(captures, ['7', '8'])
  t.equal(socket.nsp.name, '/category/7/item/8/chat')
  t.same(namespaceNames(io).sort(), ['/', '/category/7/item/8/chat'])
})
