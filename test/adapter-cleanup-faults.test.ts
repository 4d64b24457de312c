// adapter-cleanup.ts when Redis fails: the clients of a Redis adapter guarded against the rejections of
// its unawaited commands, and what a namespace removed during an outage held, released once Redis is
// back. A real socket.io server with the router, @socket.io/redis-adapter 8 on node-redis v4 clients,
// a real redis-server killed with SIGKILL and restarted on the same port, real v4 clients.
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import t, { type Test } from 'tap'
import { closeAdapter, guardAdapterClients, subscriptionsOf } from '../lib/adapter-cleanup.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, startServer, until } from './helpers/io.js'
import { startRedis, type RedisServer } from './helpers/redis.js'

const ROUTE = '/category/:categoryId/item/:itemId/chat'

async function v4Clients(t: Test, redis: RedisServer) {
  const clients = [createClient({ url: redis.url }), createClient({ url: redis.url })]
  for (const client of clients) {
    client.setMaxListeners(0)
    client.on('error', () => {})
  }
  await Promise.all(clients.map((client) => client.connect()))
  t.teardown(() => Promise.all(clients.map((client) => client.quit().catch(() => {}))))
  return clients as [ReturnType<typeof createClient>, ReturnType<typeof createClient>]
}

t.test('guardAdapterClients guards the two clients of a Redis adapter, once, and nothing on other adapters', async (t) => {
  const redis = await startRedis(t)
  const [pub, sub] = await v4Clients(t, redis)
  const plain = await startServer(t)
  const guarded = new Map<object, () => void>()
  guardAdapterClients(plain.io.sockets, guarded)
  t.equal(guarded.size, 0, 'the in-memory adapter has no client')
  const { io } = await startServer(t)
  io.adapter(createAdapter(pub, sub))
  guardAdapterClients(io.sockets, guarded)
  guardAdapterClients(io.of('/other'), guarded)
  t.same([...guarded.keys()], [pub, sub], 'both clients, once')
  t.ok(Object.prototype.hasOwnProperty.call(pub, 'publish') && Object.prototype.hasOwnProperty.call(sub, 'pUnsubscribe'))
  for (const undo of guarded.values()) undo()
  t.notOk(Object.prototype.hasOwnProperty.call(pub, 'publish'), 'undone')
})

t.test('subscriptionsOf reads what a Redis adapter 8.x holds on node-redis v4, and nothing of other adapters', async (t) => {
  const redis = await startRedis(t)
  const plain = await startServer(t)
  t.equal(subscriptionsOf(plain.io.of('/x')), undefined, 'in-memory: nothing')

  const [pub, sub] = await v4Clients(t, redis)
  const classic = await startServer(t)
  classic.io.adapter(createAdapter(pub, sub))
  const namespace = classic.io.of('/classic')
  const listeners = namespace.adapter.redisListeners as Map<string, unknown>
  t.same(subscriptionsOf(namespace)?.held, [
    { type: 'PATTERNS', channel: 'socket.io#/classic#*', listeners: [{ listener: listeners.get('psub'), buffers: true }] },
    ...['socket.io-request#/classic#', 'socket.io-response#/classic#', `socket.io-response#/classic#${namespace.adapter.uid}#`].map((channel) => ({ type: 'CHANNELS', channel, listeners: [{ listener: listeners.get('sub'), buffers: true }] })),
  ], 'classic: its pattern and its three channels, with its two listeners')

  const [pub2, sub2] = await v4Clients(t, redis)
  const sharded = await startServer(t)
  sharded.io.adapter(createShardedAdapter(pub2, sub2, { subscriptionMode: 'dynamic' }))
  sharded.io.of('/other').on('connection', (socket: any) => socket.join('room-1'))
  const room = sharded.io.of('/sharded')
  room.on('connection', (socket: any) => socket.join('room-1'))
  await connected(clientV4(t, sharded.url + '/sharded'))
  await connected(clientV4(t, sharded.url + '/other'))
  t.same(subscriptionsOf(room)?.held, [{ type: 'SHARDED', prefix: 'socket.io#/sharded#', anchor: `socket.io#/sharded#${room.adapter.uid}#` }],
    "sharded: every channel under its prefix held with the listener of its response channel, its rooms' included, read when needed")
})

for (const mode of ['classic', 'sharded'] as const) {
  t.test(`${mode}: namespaces removed while Redis is down are not subscribed again when it is back; a broadcast in flight at the kill ends nothing`, async (t) => {
    const redis = await startRedis(t)
    const [pub, sub] = await v4Clients(t, redis)
    const { io, url } = await startServer(t)
    io.adapter(mode === 'classic' ? createAdapter(pub, sub) : createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic' }))
    const router = createNamespaceRouter(io, { routes: { chat: ROUTE }, emptyNamespaceTtlMs: 1 })
    t.teardown(() => router.close())
    router.on('dynamic.group.chat', ({ socket }) => { void socket.join('room') })
    const baseline = await redis.subscriptions('/category/')

    const kept = clientV4(t, url + '/category/kept/item/1/chat')
    const leaving = Array.from({ length: 10 }, (_, i) => clientV4(t, url + `/category/gone/item/${i}/chat`))
    await Promise.all([kept, ...leaving].map((socket) => connected(socket)))
    for (let i = 0; i < 10; i++) router.namespace('chat', { categoryId: 'server', itemId: String(i) }).emit('news', i)
    const live = await redis.subscriptions('/category/')

    let unhandled = 0
    const count = () => { unhandled++ }
    process.on('unhandledRejection', count)
    t.teardown(() => { process.off('unhandledRejection', count) })
    redis.freeze()
    for (let i = 0; i < 200; i++) router.namespace('chat', { categoryId: 'kept', itemId: '1' }).emit('news', i)
    await redis.kill()
    await until(() => !sub.isReady && !pub.isReady, 'the clients saw Redis go')

    for (const socket of leaving) socket.close()
    await until(() => router.stats().namespaces === 1, 'every namespace but one removed during the outage', 10_000)
    await redis.restart()
    await until(() => pub.isReady && sub.isReady, 'the clients are back')
    const leftovers = (now: typeof live) => [...now.channels, ...now.shardChannels].filter((channel) => !channel.includes('/kept/'))
    let after = live
    await until(async () => leftovers(after = await redis.subscriptions('/category/')).length === 0, 'released', 5_000).catch(() => {})
    t.same([...after.channels, ...after.shardChannels].filter((channel) => !channel.includes('/kept/')), [], 'no channel of a removed namespace')
    t.equal(after.patterns, baseline.patterns + (mode === 'classic' ? 1 : 0), 'nor pattern: only the live one is left')
    t.ok(live.patterns + live.channels.length + live.shardChannels.length > after.patterns + after.channels.length + after.shardChannels.length)
    t.equal(unhandled, 0, 'no unhandled rejection')
    kept.close()
    await until(() => router.stats().namespaces === 0, 'the last one removed')
    t.same(await redis.subscriptions('/category/', baseline), baseline, 'back to the baseline')
    await router.close()
    await Promise.all([pub.quit(), sub.quit()])
  })
}

t.test('closeAdapter while Redis is down, on a client nobody guards: released once it is back', async (t) => {
  const redis = await startRedis(t)
  const [pub, sub] = await v4Clients(t, redis)
  const { io } = await startServer(t)
  io.adapter(createAdapter(pub, sub))
  const namespace = io.of('/alone')
  await until(async () => (await redis.subscriptions('/alone')).channels.length === 3, 'subscribed')
  await redis.kill()
  await until(() => !sub.isReady, 'the client saw Redis go')
  await closeAdapter(namespace)
  await redis.restart()
  await until(() => sub.isReady, 'the client is back')
  await until(async () => (await redis.subscriptions('/alone')).channels.length === 0, 'released once Redis is back')
  t.pass('released once Redis is back')
  // Unguarded clients: the adapters' last unsubscriptions must be answered before the clients close.
  io.close()
  await Promise.all([pub.quit(), sub.quit()])
})
