// A cluster in the middle of a rolling upgrade: a socket.io 2.5 process (socket.io-redis 5.4) and a
// socket.io 4.8 process (@socket.io/redis-adapter 8) on one real redis-server, the router on both, a v2
// client on the first and a v4 client on the second, in one routed namespace.
import t, { type Test } from 'tap'
import { createRequire } from 'node:module'
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import { Server } from 'socket.io'
import { bridgeGenerations, unbridge } from '../lib/mixed-cluster.js'
import { clientV2, clientV4, connected, once, until } from './helpers/io.js'
import { startNode, type NodeProcess } from './helpers/node.js'
import { startRedis, type RedisServer } from './helpers/redis.js'

const require = createRequire(import.meta.url)
const NS = '/category/1/item/2/chat'
const PARAMS = { categoryId: '1', itemId: '2' }
const REQUESTS = 'socket.io-request#' + NS + '#'
const RESPONSES = 'socket.io-response#' + NS + '#'
// Long enough that a query answered before it cannot have been ended by it.
const ENV = { REQUESTS_TIMEOUT: '60000', TTL: '100' }

type Outcome = { value?: any; code?: string | null; message?: string }

// The bytes of a binary payload as a client of either generation hands it over (a Buffer in Node), or
// the payload itself when it is not binary (a `{ type: 'Buffer' }` object fails the comparison).
const bytes = (value: unknown): unknown => (Buffer.isBuffer(value) ? [...value] : value instanceof ArrayBuffer ? [...new Uint8Array(value)] : value)

async function startCluster(t: Test, env4: Record<string, string> = {}): Promise<{ redis: RedisServer; v2: NodeProcess; v4: NodeProcess }> {
  const redis = await startRedis(t)
  const [v2, v4] = await Promise.all([
    startNode(t, { REDIS_URL: redis.url, ...ENV }, 0, 'legacy-node-server.ts'),
    startNode(t, { REDIS_URL: redis.url, ...ENV, ...env4 }),
  ])
  return { redis, v2: v2!, v4: v4! }
}

t.test('broadcasts, rooms and binary payloads cross both ways, queries work across or fail at once, removal leaves nothing', async (t) => {
  const { redis, v2, v4 } = await startCluster(t)
  const baseline = await redis.subscriptions('/category/')
  const baselineListeners = await v2.call('listeners')
  const old = clientV2(t, v2.url + NS, { query: 'ns=' + NS })
  const young = clientV4(t, v4.url + NS)
  await Promise.all([connected(old), connected(young)])
  await redis.subscriptions('/category/')

  await t.test('text and binary, from clients and from router.namespace().emit()', async (t) => {
    let heard = once(young, 'said')
    old.emit('say', 'from 2.x')
    t.same(await heard, ['from 2.x'], 'text 2.x → 4.x')
    heard = once(old, 'said')
    young.emit('say', 'from 4.x')
    t.same(await heard, ['from 4.x'], 'text 4.x → 2.x')

    heard = once(young, 'said')
    old.emit('say', Buffer.from([1, 2, 3]))
    t.same(bytes((await heard)[0]), [1, 2, 3], 'binary from a 2.x client reaches the 4.x client as binary')
    heard = once(old, 'said')
    young.emit('say', Buffer.from([4, 5, 6]))
    t.same(bytes((await heard)[0]), [4, 5, 6], 'binary from a 4.x client reaches the 2.x client as binary')
    heard = once(old, 'said')
    young.emit('say', { nothing: null, blob: Buffer.from([7, 8]) })
    const [nested] = await heard
    t.same([nested.nothing, bytes(nested.blob)], [null, [7, 8]], 'binary inside an object from a 4.x client reaches the 2.x client as binary')

    for (const [node, data] of [[v2, [4, 5, 6]], [v4, [9, 10]]] as const) {
      const both = Promise.all([once(old, 'bin'), once(young, 'bin')])
      await node.call('emitBinary', { params: PARAMS, event: 'bin', data })
      t.same((await both).map(([value]) => bytes(value)), [data, data], `router.namespace().emit() of binary on the ${node === v2 ? '2.x' : '4.x'} node reaches both`)
      const text = Promise.all([once(old, 'news'), once(young, 'news')])
      await node.call('emit', { params: PARAMS, event: 'news', data: 'text' })
      t.same(await text, [['text'], ['text']], 'and of text')
    }
  })

  await t.test('rooms', async (t) => {
    await new Promise<void>((resolve) => old.emit('join', 'room-1', resolve))
    await new Promise<void>((resolve) => young.emit('join', 'room-1', resolve))
    let both = Promise.all([once(old, 'roomMessage'), once(young, 'roomMessage')])
    old.emit('toRoom', 'room-1', Buffer.from([1]))
    t.same((await both).map(([value]) => bytes(value)), [[1], [1]], 'a room broadcast from the 2.x node reaches both, binary intact')
    both = Promise.all([once(old, 'roomMessage'), once(young, 'roomMessage')])
    young.emit('toRoom', 'room-1', 'to the room')
    t.same(await both, [['to the room'], ['to the room']], 'a room broadcast from the 4.x node reaches both')
  })

  const [oldId] = (await v2.call('sockets', { params: PARAMS })) as string[]
  const [youngId] = (await v4.call('sockets', { params: PARAMS })) as string[]

  await t.test('socket.io 4 queries', async (t) => {
    const all = (await v4.call('fetch', { params: PARAMS })) as Outcome
    t.same(all.value.map((s: any) => s.id).sort(), [oldId, youngId].sort(), 'fetchSockets() sees the sockets of both nodes')
    t.same(all.value.find((s: any) => s.id === oldId).rooms, [oldId, 'room-1'].sort(), 'with the rooms of the 2.x socket')
    t.equal(all.value.find((s: any) => s.id === oldId).query.ns, NS, 'and its handshake')
    t.same(((await v4.call('fetch', { params: PARAMS, rooms: ['room-1'] })) as Outcome).value.length, 2, 'in a room')
    t.same(((await v4.call('fetch', { params: PARAMS, rooms: ['nowhere'] })) as Outcome).value, [], 'in an empty room')
    t.same(((await v4.call('fetch', { params: PARAMS, except: ['room-1'] })) as Outcome).value, [], 'except a room')
    const rooms = ((await v4.call('allRooms', { params: PARAMS })) as Outcome).value as string[]
    t.ok(rooms.includes('room-1') && rooms.includes(oldId!), 'allRooms() includes the rooms of the 2.x node')

    await v4.call('socketsJoin', { params: PARAMS, room: 'room-2' })
    await until(async () => ((await v2.call('localRooms', { params: PARAMS })) as string[]).includes('room-2'), 'socketsJoin() reaches the 2.x socket')
    await v4.call('socketsLeave', { params: PARAMS, room: 'room-2' })
    await until(async () => !((await v2.call('localRooms', { params: PARAMS })) as string[]).includes('room-2'), 'socketsLeave() reaches the 2.x socket')

    const refused = (await v4.call('serverSideEmitWithAck', { params: PARAMS })) as Outcome
    t.equal(refused.code, 'ERR_MIXED_CLUSTER', `serverSideEmit with an ack fails at once: ${refused.message}`)
    t.equal(await v4.call('serverSideEmit', { params: PARAMS }), true, 'serverSideEmit without one goes out (to the 4.x nodes)')
    t.same(await v4.call('serverSideEmitWithAck', { params: { categoryId: 'only4', itemId: '1' } }), { value: [] }, 'with an ack, on a namespace only 4.x nodes have, it works as before')

    young.on('ask', (ack: (answer: string) => void) => ack('from the 4.x client'))
    t.same(await v4.call('emitWithAck', { params: PARAMS }), { value: ['from the 4.x client'] }, 'an emit with acknowledgements completes at once, counting no 2.x client')
  })

  await t.test('socket.io 2 queries', async (t) => {
    t.same(sorted(await v2.call('clients', { params: PARAMS, rooms: [] })), [oldId, youngId].sort(), 'clients() sees the sockets of both nodes')
    t.same(sorted(await v2.call('clients', { params: PARAMS, rooms: ['room-1', 'nowhere'] })), [oldId, youngId].sort(), 'in rooms')
    const rooms = ((await v2.call('allRooms', { params: PARAMS })) as Outcome).value as string[]
    t.ok(rooms.includes('room-1') && rooms.includes(youngId!), 'allRooms() includes the rooms of the 4.x node')
    t.same(sorted(await v2.call('clientRooms', { params: PARAMS, sid: youngId })), [youngId, 'room-1'].sort(), 'clientRooms() of a 4.x socket')
    t.same(await v2.call('remoteJoin', { params: PARAMS, sid: youngId, room: 'room-3' }), {}, 'remoteJoin() of a 4.x socket')
    t.ok(((await v4.call('localRooms', { params: PARAMS })) as string[]).includes('room-3'), 'joins it')
    t.same(await v2.call('remoteLeave', { params: PARAMS, sid: youngId, room: 'room-3' }), {}, 'remoteLeave() of a 4.x socket')
    t.notOk(((await v4.call('localRooms', { params: PARAMS })) as string[]).includes('room-3'), 'leaves it')
    for (const data of [{ any: 'data' }, undefined]) {
      const refused = (await v2.call('customRequest', { params: PARAMS, data })) as Outcome
      t.equal(refused.code, 'ERR_MIXED_CLUSTER', `customRequest() fails at once: ${refused.message}`)
    }
    t.same(await v2.call('customRequest', { params: { categoryId: 'solo', itemId: '1' }, data: 1 }), { value: [null] }, 'customRequest() on a namespace only 2.x nodes have works as before')
  })

  await t.test('the root namespace too', async (t) => {
    const oldRoot = clientV2(t, v2.url + '/')
    const root = clientV4(t, v4.url + '/')
    await Promise.all([connected(oldRoot), connected(root)])
    for (const [node, data] of [[v2, [1, 2]], [v4, [3, 4]]] as const) {
      const both = Promise.all([once(oldRoot, 'rootBin'), once(root, 'rootBin')])
      await node.call('rootEmitBinary', { event: 'rootBin', data })
      t.same((await both).map(([value]) => bytes(value)), [data, data], `io.emit() of binary on the ${node === v2 ? '2.x' : '4.x'} node reaches both`)
    }
    const fetched = ((await v4.call('rootFetch')) as Outcome).value as string[]
    t.ok(fetched.includes(root.id!) && fetched.length === 3, 'fetchSockets() on / from the 4.x node sees the sockets of both (the 2.x client, the 4.x client, and the 2.x client of the routed namespace, which is on / too)')
    t.same(sorted(await v2.call('rootClients')), fetched, 'clients() on / from the 2.x node sees the same')
    t.equal(((await v2.call('rootCustomRequest')) as Outcome).code, 'ERR_MIXED_CLUSTER', 'customRequest() on / fails at once')
    t.equal(((await v4.call('rootServerSideEmitWithAck')) as Outcome).code, 'ERR_MIXED_CLUSTER', 'serverSideEmit() with an ack on / fails at once')
    oldRoot.close()
    root.close()
  })

  await t.test('messages neither generation sends are ignored by both', async (t) => {
    const odd = [
      [REQUESTS, { requestid: 'r1', type: 99, sid: youngId }],
      [REQUESTS, { requestid: 'r2', type: 0 }],
      [REQUESTS, { requestid: 'r3', type: 1, sid: 'nobody' }],
      [REQUESTS, { requestid: 'r4', type: 3, sid: 'nobody', room: 'x' }],
      [REQUESTS, { requestid: 'r5', requestId: 'r5', type: 0 }],
      [REQUESTS, { requestId: 'q1', type: 99 }],
      [REQUESTS, { requestId: 'q2', type: 0 }],
      [REQUESTS, { uid: 'u', type: 2, opts: { rooms: ['nowhere'] }, rooms: ['x'] }],
      [REQUESTS, { uid: 'u', type: 3, opts: {}, rooms: ['x'] }],
      [REQUESTS, '{not json'],
      [REQUESTS, '[1]'],
      [RESPONSES, Buffer.from([0x81, 0xa1, 0x61, 0x01])],
    ] as const
    for (const [channel, message] of odd) await redis.client.publish(channel, typeof message === 'object' && !Buffer.isBuffer(message) ? JSON.stringify(message) : message)
    t.same(sorted(await v2.call('clients', { params: PARAMS, rooms: [] })), [oldId, youngId].sort(), 'both nodes still answer')
    t.same(((await v4.call('fetch', { params: PARAMS })) as Outcome).value.length, 2, 'both ways')
  })

  await t.test('disconnecting across generations', async (t) => {
    const gone = once(young, 'disconnect')
    t.same(await v2.call('remoteDisconnect', { params: PARAMS, sid: youngId }), {}, 'remoteDisconnect() of a 4.x socket')
    await gone
    const oldGone = once(old, 'disconnect')
    await v4.call('disconnectSockets', { params: PARAMS, room: 'room-1' })
    await oldGone
    t.pass('disconnectSockets() on the 4.x node disconnects the 2.x socket')
  })

  await until(async () => ((await v2.call('stats')) as { namespaces: number }).namespaces === 0 && ((await v4.call('stats')) as { namespaces: number }).namespaces === 0, 'both nodes removed the namespace', 10_000)
  t.same(await redis.subscriptions('/category/', baseline), baseline, 'PUBSUB NUMPAT and CHANNELS back at baseline')
  t.same(await v2.call('listeners'), baselineListeners, "listeners on the 2.x node's Redis clients back at baseline")
  for (const node of [v2, v4]) await node.call('close').then(() => node.exit())
})

t.test('a 4.x node on node_redis 3 clients (the adapter\'s other code path)', async (t) => {
  const { redis, v2, v4 } = await startCluster(t, { REDIS_CLIENT: 'v3' })
  const baseline = await redis.subscriptions('/category/')
  const old = clientV2(t, v2.url + NS, { query: 'ns=' + NS })
  const young = clientV4(t, v4.url + NS)
  await Promise.all([connected(old), connected(young)])
  await redis.subscriptions('/category/')
  const heard = once(young, 'said')
  old.emit('say', Buffer.from([1, 2]))
  t.same(bytes((await heard)[0]), [1, 2], 'binary 2.x → 4.x')
  t.equal(((await v2.call('clients', { params: PARAMS, rooms: [] })) as Outcome).value.length, 2, 'clients() from the 2.x node')
  t.equal(((await v4.call('fetch', { params: PARAMS })) as Outcome).value.length, 2, 'fetchSockets() from the 4.x node')
  old.close()
  young.close()
  await until(async () => ((await v2.call('stats')) as { namespaces: number }).namespaces === 0 && ((await v4.call('stats')) as { namespaces: number }).namespaces === 0, 'both nodes removed the namespace', 10_000)
  t.same(await redis.subscriptions('/category/', baseline), baseline, 'nothing left subscribed')
  for (const node of [v2, v4]) await node.call('close').then(() => node.exit())
})

t.test('in one process: adapters it does not bridge, and an answer that cannot be published', async (t) => {
  const io = new Server()
  const inMemory = io.of('/in-memory')
  bridgeGenerations(inMemory)
  t.doesNotThrow(() => unbridge(inMemory), 'the in-memory adapter: nothing to bridge, nothing to undo')

  // socket.io 2: the adapter's own request listener is found among the others', or not at all.
  const redis = await startRedis(t)
  const redisV3 = require('redis-v3') as { createClient(url: string): any }
  const pubV3 = redisV3.createClient(redis.url)
  const subV3 = redisV3.createClient(redis.url)
  t.teardown(() => { pubV3.quit(); subV3.quit() })
  const io2 = require('socket.io-v2')()
  io2.adapter(require('socket.io-redis')({ pubClient: pubV3, subClient: subV3 }))
  const early = io2.of('/early')
  const mine = subV3.listeners('messageBuffer').at(-1)
  io2.of('/late')
  const foreign = () => {}
  subV3.on('messageBuffer', foreign)
  const count = subV3.listeners('messageBuffer').length
  bridgeGenerations(early)
  t.equal(subV3.listeners('messageBuffer').length, count, 'one listener swapped for another')
  t.notOk(subV3.listeners('messageBuffer').includes(mine), "the adapter's own, found below a later namespace's and a foreign one")
  bridgeGenerations(io2.of('/early'))
  t.equal(subV3.listeners('messageBuffer').length, count, 'and adds nothing')
  unbridge(early)
  unbridge(early)
  t.equal(subV3.listeners('messageBuffer').length, count - 1, 'release removes the bridge\'s listener')
  const lost = io2.of('/lost')
  subV3.removeListener('messageBuffer', subV3.listeners('messageBuffer').at(-1))
  const before = subV3.listeners('messageBuffer').length
  bridgeGenerations(lost)
  unbridge(lost)
  t.equal(subV3.listeners('messageBuffer').length, before, 'an adapter whose listener is gone: nothing swapped')
  t.ok(subV3.listeners('messageBuffer').includes(foreign), 'the foreign one is left alone')

  // socket.io 4 answering a socket.io 2 request on a publisher that is closed.
  const pub = createClient({ url: redis.url })
  const sub = pub.duplicate()
  await Promise.all([pub.connect(), sub.connect()])
  t.teardown(() => sub.quit().catch(() => {}))
  const io4 = new Server()
  io4.adapter(createAdapter(pub, sub) as any)
  bridgeGenerations(io4.of('/closed'))
  await redis.subscriptions('/closed')
  const published: Array<Promise<unknown>> = []
  const publish = pub.publish.bind(pub)
  pub.publish = ((...args: Parameters<typeof publish>) => {
    const result = publish(...args)
    published.push(result)
    return result
  }) as typeof pub.publish
  await pub.quit()
  await redis.client.publish('socket.io-request#/closed#', JSON.stringify({ requestid: 'x', type: 2 }))
  await until(() => published.length === 1, 'the 4.x node answers')
  await t.rejects(published[0]!, 'the answer cannot be published')
  await new Promise((resolve) => setImmediate(resolve))
  t.pass('and the failure is only logged')
})

function sorted(outcome: unknown): string[] {
  return [...((outcome as Outcome).value as string[])].sort()
}
