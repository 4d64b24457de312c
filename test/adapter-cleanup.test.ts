// What each socket.io adapter holds per namespace is undone when the router removes it: a churn of
// namespaces created (by clients and by router.namespace()) and removed on a real socket.io server, a
// real redis-server and real clients, then every count back at its baseline.
import { createHook } from 'node:async_hooks'
import { createRequire } from 'node:module'
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import { createServer as createHttpServer } from 'node:http'
import { Server } from 'socket.io'
import t, { type Test } from 'tap'
import { closeAdapter, subscriptionsConfirmed, withProcessListeners } from '../lib/adapter-cleanup.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV2, clientV4, connected, once, startServer, until, type ServerKind } from './helpers/io.js'
import { startRedis, type RedisServer } from './helpers/redis.js'

const require = createRequire(import.meta.url)
const legacyRedisAdapter = require('socket.io-redis') as (options: object) => unknown
const legacyRedis = require('redis-v3') as { createClient(url: string): any }
const redisAdapter6 = require('socket.io-redis-6') as (options: object) => unknown

const ROUTE = '/category/:categoryId/item/:itemId/chat'
const CHURN = 100

// Live timers, counted with async_hooks: process.getActiveResourcesInfo() leaves out unref'd timers,
// and the session-aware adapter's interval is unref'd.
const liveTimers = new Set<number>()
createHook({
  init(id, type) { if (type === 'Timeout') liveTimers.add(id) },
  destroy(id) { liveTimers.delete(id) },
}).enable()

interface Counts {
  redis: Awaited<ReturnType<RedisServer['subscriptions']>>
  listeners: number
  clientSubscriptions: number
  timers: number
  handles: number
}

/** Every listener on the emitters, every event. */
function listenerTotal(emitters: any[]): number {
  return emitters.reduce((sum, emitter) => sum + emitter.eventNames().reduce((n: number, e: string | symbol) => n + emitter.listenerCount(e), 0), 0)
}

/** node-redis v4 clients' own books of subscribed channels (shared by every namespace's adapter). */
function clientSubscriptionTotal(clients: any[]): number {
  let total = 0
  for (const client of clients) {
    if (typeof client.getPubSubListeners !== 'function') continue
    for (const type of ['CHANNELS', 'PATTERNS', 'SHARDED']) total += client.getPubSubListeners(type).size
  }
  return total
}

interface Setup {
  /** socket.io server options. */
  options?: object
  kind?: ServerKind
  /**
   * The adapter may lose a cross-node broadcast under load whatever the router does (the streams adapter
   * 0.3.1, measured with and without the router's cleanup): the check then emits until one arrives.
   */
  lossy?: boolean
  /** Sets the adapter up and returns the shared clients it uses. */
  adapter?(io: any, redis: RedisServer): Promise<any[]>
}

const LIVE = { categoryId: 'live', itemId: '1' }
const LIVE_NAME = '/category/live/item/1/chat'

async function churnCase(t: Test, setup: Setup) {
  const redis = await startRedis(t)
  const kind = setup.kind ?? '4'
  const { io, url } = await startServer(t, kind, setup.options)
  const shared = (await setup.adapter?.(io, redis)) ?? []
  const router = createNamespaceRouter(io, { routes: { chat: ROUTE }, emptyNamespaceTtlMs: 1 })
  t.teardown(() => router.close())
  const refs: WeakRef<object>[] = []
  router.on('namespace.created', ({ namespace }) => { if (namespace.name !== LIVE_NAME) refs.push(new WeakRef(namespace)) })
  const connect = (base: string, name: string) => (kind === '2' ? clientV2(t, base + name, { query: 'ns=' + name }) : clientV4(t, base + name))

  // With an adapter, a second server (another node) and one namespace that stays live on both, with a
  // client on each: the churn must not touch it.
  const live = connect(url, LIVE_NAME)
  await connected(live)
  let peer: { io: any; close(): Promise<void>; emit(text: string): void } | undefined
  if (setup.adapter) {
    const other = await startServer(t, kind, setup.options)
    await setup.adapter(other.io, redis)
    const otherRouter = createNamespaceRouter(other.io, { routes: { chat: ROUTE }, emptyNamespaceTtlMs: 1 })
    t.teardown(() => otherRouter.close())
    await connected(connect(other.url, LIVE_NAME))
    peer = { io: other.io, close: () => otherRouter.close(), emit: (text) => otherRouter.namespace('chat', LIVE).emit('news', text) }
  }

  const counts = async (): Promise<Counts> => ({
    redis: await redis.subscriptions('/category/'),
    listeners: listenerTotal(shared),
    clientSubscriptions: clientSubscriptionTotal(shared),
    timers: liveTimers.size,
    handles: process.getActiveResourcesInfo().length,
  })
  // One namespace created and removed first, so lazily made things (a subscriber client) are there.
  await churn(1, 0)
  const baseline = await counts()

  async function churn(byClient: number, byServer: number) {
    for (let i = 0; i < byServer; i++) router.namespace('chat', { categoryId: 's', itemId: String(i) }).emit('news', i)
    const sockets = Array.from({ length: byClient }, (_, i) => connect(url, `/category/c/item/${i}/chat`))
    await Promise.all(sockets.map((socket) => connected(socket, 10_000)))
    for (const socket of sockets) socket.close()
    await until(() => router.stats().namespaces === 1, 'every namespace but the live one is removed', 20_000)
  }

  await churn(CHURN, CHURN)
  // The client subscriptions and the unsubscriptions land asynchronously: wait for the state.
  let after = await counts()
  await until(async () => JSON.stringify(after = await counts()) === JSON.stringify(baseline), 'counts back at baseline', 5_000).catch(() => {})
  t.same(after.redis, baseline.redis, `Redis subscriptions back at baseline after ${2 * CHURN} namespaces`)
  t.equal(after.listeners, baseline.listeners, 'listeners on the shared Redis clients back at baseline')
  t.equal(after.clientSubscriptions, baseline.clientSubscriptions, "the Redis clients' own subscription books back at baseline")
  t.equal(after.timers, baseline.timers, 'live timers back at baseline')
  t.ok(after.handles <= baseline.handles, 'active handles back at baseline')
  // A WeakRef is cleared by a collection after the job that last read it: collect, a turn apart, until none
  // is left or the deadline passes (then the count below fails).
  await until(() => {
    globalThis.gc?.()
    return refs.every((ref) => ref.deref() === undefined)
  }, 'the removed namespaces are collected', 5_000).catch(() => {})
  t.equal(refs.filter((ref) => ref.deref() !== undefined).length, 0, `none of the ${refs.length} removed namespaces is reachable`)
  if (peer) {
    const heard = once(live, 'news', setup.lossy ? 10_000 : 3000)
    peer.emit('from the other node')
    const again = setup.lossy ? setInterval(() => peer?.emit('from the other node'), 200) : undefined
    t.same(await heard.finally(() => clearInterval(again)), ['from the other node'], 'a broadcast from the other node still reaches the live namespace')
  }
  return { redis, nodes: [{ io, close: () => router.close() }, peer as NonNullable<typeof peer>] }
}

async function v4Clients(redis: RedisServer, count = 2): Promise<any[]> {
  const clients = Array.from({ length: count }, () => createClient({ url: redis.url }))
  for (const client of clients) client.on('error', () => {})
  await Promise.all(clients.map((client) => client.connect()))
  return clients
}

t.test('socket.io 2.x with socket.io-redis 5.x (node_redis 3 clients)', async (t) => {
  await churnCase(t, {
    kind: '2',
    async adapter(io, redis) {
      const pubClient = legacyRedis.createClient(redis.url)
      const subClient = legacyRedis.createClient(redis.url)
      subClient.setMaxListeners(0)
      t.teardown(() => { pubClient.quit(); subClient.quit() })
      io.adapter(legacyRedisAdapter({ pubClient, subClient }))
      return [pubClient, subClient]
    },
  })
})

t.test('socket.io 4 with connectionStateRecovery: no session-expiry interval left', async (t) => {
  await churnCase(t, { options: { connectionStateRecovery: {} } })
})

t.test('@socket.io/redis-adapter 8.x, classic', async (t) => {
  await churnCase(t, {
    async adapter(io, redis) {
      const [pub, sub] = await v4Clients(redis)
      t.teardown(() => Promise.all([pub.quit(), sub.quit()]))
      io.adapter(createAdapter(pub, sub))
      return [pub, sub]
    },
  })
})

for (const subscriptionMode of ['dynamic', 'static'] as const) {
  t.test(`@socket.io/redis-adapter 8.x, sharded, subscriptionMode '${subscriptionMode}'`, async (t) => {
    await churnCase(t, {
      async adapter(io, redis) {
        const [pub, sub] = await v4Clients(redis)
        t.teardown(() => Promise.all([pub.quit(), sub.quit()]))
        io.adapter(createShardedAdapter(pub, sub, { subscriptionMode }))
        return [pub, sub]
      },
    })
  })
}

t.test('socket.io 4 with socket.io-redis 6.x (node_redis 3 clients; 6.x is for socket.io 3.x/4.x servers)', async (t) => {
  await churnCase(t, {
    async adapter(io, redis) {
      const pubClient = legacyRedis.createClient(redis.url)
      const subClient = legacyRedis.createClient(redis.url)
      subClient.setMaxListeners(0)
      t.teardown(() => { pubClient.quit(); subClient.quit() })
      io.adapter(redisAdapter6({ pubClient, subClient }))
      return [pubClient, subClient]
    },
  })
})

t.test('@socket.io/redis-streams-adapter 0.3.x, sharded Pub/Sub', async (t) => {
  const { nodes, redis } = await churnCase(t, {
    lossy: true,
    async adapter(io, redis) {
      const [client] = await v4Clients(redis, 1)
      t.teardown(() => client.quit())
      io.adapter(createStreamsAdapter(client, { blockTimeInMs: 100, useShardedPubSub: true }))
      return [client]
    },
  })
  // Each node subscribes 2 channels for the live namespace.
  for (const [i, node] of nodes.entries()) await closeStreams(node, redis, 2 * (nodes.length - 1 - i))
})

t.test('@socket.io/redis-streams-adapter 0.3.x', async (t) => {
  const { nodes, redis } = await churnCase(t, {
    lossy: true,
    async adapter(io, redis) {
      const [client] = await v4Clients(redis, 1)
      t.teardown(() => client.quit())
      io.adapter(createStreamsAdapter(client, { blockTimeInMs: 100 }))
      return [client]
    },
  })
  // Each node subscribes 2 channels for the live namespace.
  for (const [i, node] of nodes.entries()) await closeStreams(node, redis, 2 * (nodes.length - 1 - i))
})

// The streams adapter's own clients (a subscriber, a stream reader) go when its last namespace closes:
// before redis-server stops, or they would try to reconnect forever.
async function closeStreams(node: { io: any; close(): Promise<void> }, redis: RedisServer, left: number) {
  const connections = async () => String(await redis.client.sendCommand(['CLIENT', 'LIST'])).trim().split('\n').length
  const before = await connections()
  await node.close()
  // The router's unsubscriptions land first: the adapter disconnects its subscriber with whatever is in
  // flight, and leaves those rejections unhandled.
  await until(async () => {
    const { channels, shardChannels } = await redis.subscriptions(LIVE_NAME)
    return channels.length + shardChannels.length === left
  }, 'this node has released the live namespace')
  await node.io.of('/').adapter.close()
  await until(async () => (await connections()) === before - 2, "the streams adapter's own clients are gone")
}

t.test('withProcessListeners removes the process listeners a constructor added', async (t) => {
  const base = process.listenerCount('message')
  const mine = () => {}
  const { value, release } = withProcessListeners(() => {
    process.on('message', mine)
    process.on('message', () => {})
    return 'made'
  })
  t.equal(value, 'made')
  t.equal(process.listenerCount('message'), base + 2)
  release()
  t.equal(process.listenerCount('message'), base)
  const none = withProcessListeners(() => 1)
  none.release()
  t.equal(process.listenerCount('message'), base, 'nothing added, nothing removed')
})

t.test('closeAdapter tolerates adapters without close (socket.io 2.x)', async (t) => {
  await closeAdapter({ adapter: {} } as never)
  let closed = false
  await closeAdapter({ adapter: { close: async () => { closed = true } } } as never)
  t.ok(closed)
})


t.test('socket.io-redis 5.x: a listener added after the adapter is left alone, and a closed subscriber does not fail removal', async (t) => {
  const redis = await startRedis(t)
  const { io } = await startServer(t, '2')
  const pubClient = legacyRedis.createClient(redis.url)
  const subClient = legacyRedis.createClient(redis.url)
  for (const client of [pubClient, subClient]) client.on('error', () => {})
  t.teardown(() => { pubClient.quit() })
  io.adapter(legacyRedisAdapter({ pubClient, subClient }))
  const other = () => {}
  const { value: namespace } = withProcessListeners(() => {
    const made = io.of('/x')
    subClient.on('error', other)
    return made
  })
  await until(async () => (await redis.subscriptions('/x')).channels.length === 2, 'the namespace is subscribed')
  const count = () => [subClient.listenerCount('error'), subClient.listenerCount('pmessageBuffer'), subClient.listenerCount('messageBuffer'), pubClient.listenerCount('error')]
  const [errors, pmessages, messages, pubErrors] = count()
  await new Promise((resolve) => subClient.quit(resolve))
  await closeAdapter(namespace)
  t.equal(subClient.listenerCount('error'), errors, "the subscriber's last 'error' listener was not the adapter's: none is removed")
  t.ok(subClient.listeners('error').includes(other))
  t.same(count().slice(1), [pmessages! - 1, messages! - 1, pubErrors! - 1], "the adapter's other listeners are gone")
})

t.test('withProcessListeners watches for the session-expiry interval only when sessions are on', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  let last: ReturnType<typeof setInterval> | undefined
  // The shape of socket.io-adapter's session-aware adapter, which starts its interval as it is built.
  const sessionAware = () => {
    last = setInterval(() => {}, 60_000)
    return { adapter: { sessions: new Map(), packets: [], maxDisconnectionDuration: 1 } }
  }
  const before = timers()
  await closeAdapter(withProcessListeners(sessionAware).value as never)
  t.equal(timers(), before, 'watched: its interval is stopped with the adapter')
  await closeAdapter(withProcessListeners(sessionAware, false).value as never)
  t.equal(timers(), before + 1, 'not watched (the server has no recovery): left as it is')
  clearInterval(last)
})

// What Redis has for a namespace, read once (no waiting): the subscriptions must be there already.
async function subscribedNow(redis: RedisServer, name: string) {
  const patterns = (await redis.client.sendCommand(['PUBSUB', 'NUMPAT'])) as number
  const channels = (await redis.client.sendCommand(['PUBSUB', 'CHANNELS', `*${name}*`])) as string[]
  const shardChannels = (await redis.client.sendCommand(['PUBSUB', 'SHARDCHANNELS', `*${name}*`])) as string[]
  return { patterns, channels: channels.length, shardChannels: shardChannels.length }
}

const ioredis = (redis: RedisServer) => {
  const { Redis } = require('ioredis') as typeof import('ioredis')
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  return client
}

// Each returns the adapter and a function that closes its clients: called while Redis still runs, after the
// server closed its adapters (an ioredis client left to a dead redis-server rejects what is in flight).
type Confirmed = { name: string; sharded: boolean; adapter(redis: RedisServer): Promise<{ factory: unknown; quit(): unknown }> }
const confirmed: Confirmed[] = [
  {
    name: '@socket.io/redis-adapter 8.x classic, node-redis v4',
    sharded: false,
    async adapter(redis) {
      const [pub, sub] = await v4Clients(redis)
      return { factory: createAdapter(pub, sub), quit: () => Promise.all([pub.quit(), sub.quit()]) }
    },
  },
  {
    name: '@socket.io/redis-adapter 8.x classic, ioredis',
    sharded: false,
    async adapter(redis) {
      const [pub, sub] = [ioredis(redis), ioredis(redis)]
      return { factory: createAdapter(pub, sub), quit: () => Promise.all([pub.quit(), sub.quit()]) }
    },
  },
  {
    name: '@socket.io/redis-adapter 8.x sharded, node-redis v4',
    sharded: true,
    async adapter(redis) {
      const [pub, sub] = await v4Clients(redis)
      return { factory: createShardedAdapter(pub, sub, { subscriptionMode: 'static' }), quit: () => Promise.all([pub.quit(), sub.quit()]) }
    },
  },
  {
    name: '@socket.io/redis-adapter 8.x sharded, ioredis',
    sharded: true,
    async adapter(redis) {
      const [pub, sub] = [ioredis(redis), ioredis(redis)]
      return { factory: createShardedAdapter(pub, sub), quit: () => Promise.all([pub.quit(), sub.quit()]) }
    },
  },
  {
    name: 'socket.io-redis 6.x, node_redis 3',
    sharded: false,
    async adapter(redis) {
      const pubClient = legacyRedis.createClient(redis.url)
      const subClient = legacyRedis.createClient(redis.url)
      return { factory: redisAdapter6({ pubClient, subClient }), quit: () => { pubClient.quit(); subClient.quit() } }
    },
  },
]

for (const setup of confirmed) {
  t.test(`subscriptionsConfirmed, ${setup.name}: resolves once Redis has the new namespace's subscriptions`, async (t) => {
    const redis = await startRedis(t)
    const io = new Server(createHttpServer())
    const { factory, quit } = await setup.adapter(redis)
    io.adapter(factory as never)
    // The root namespace's subscriptions land first, so that only the new namespace's are counted.
    await redis.subscriptions('/')
    const before = await subscribedNow(redis, '/confirmed')
    const { value: namespace } = withProcessListeners(() => io.of('/confirmed'))
    const pending = subscriptionsConfirmed(namespace)
    t.ok(pending, 'a promise while the subscriptions are on their way')
    await pending
    const after = await subscribedNow(redis, '/confirmed')
    if (setup.sharded) t.ok(after.shardChannels > before.shardChannels, 'its sharded channel is subscribed when it resolves')
    else t.equal(after.patterns, before.patterns + 1, 'its pattern is subscribed when it resolves')
    t.equal(subscriptionsConfirmed(namespace), undefined, 'nothing to wait for afterwards')
    await io.close()
    await quit()
  })
}

t.test('subscriptionsConfirmed: nothing to wait for on adapters that do not subscribe per namespace', async (t) => {
  const { io } = await startServer(t)
  t.equal(subscriptionsConfirmed(withProcessListeners(() => io.of('/memory')).value), undefined, 'the in-memory adapter')
  const shaped = (adapter: object) => subscriptionsConfirmed(withProcessListeners(() => ({ adapter }) as never).value)
  t.equal(shaped({ channel: 'c#', subClient: {} }), undefined, 'a channel and a client, but no Redis adapter of a known kind')
  t.equal(shaped({ channel: 'c#', subClient: null, redisListeners: new Map() }), undefined, 'no subscriber client')
  // Shaped as @socket.io/redis-adapter's classic one (adapter-compat.ts, isRedisAdapter).
  const classic = { requestChannel: 'c-request#', onrequest() {}, parser: { decode() {} } }
  t.equal(shaped({ channel: 'c#', subClient: {}, redisListeners: new Map(), ...classic }), undefined, 'a subscriber client that cannot subscribe')
})

t.test('subscriptionsConfirmed resolves, never rejects, when the subscriber client is closed', async (t) => {
  const redis = await startRedis(t)
  const { io } = await startServer(t)
  const [pub, sub] = await v4Clients(redis)
  t.teardown(() => pub.quit())
  io.adapter(createAdapter(pub, sub))
  await sub.quit()
  await t.resolves(subscriptionsConfirmed(withProcessListeners(() => io.of('/closed-v4')).value) as Promise<void>, 'node-redis v4')

  const { io: io3 } = await startServer(t)
  const pubClient = legacyRedis.createClient(redis.url)
  const subClient = legacyRedis.createClient(redis.url)
  for (const client of [pubClient, subClient]) client.on('error', () => {})
  t.teardown(() => { pubClient.quit() })
  // @socket.io/redis-adapter 8.x takes node_redis 3 clients too (socket.io-redis 6.x would throw its error).
  io3.adapter(createAdapter(pubClient, subClient))
  await new Promise((resolve) => subClient.quit(resolve))
  await t.resolves(subscriptionsConfirmed(withProcessListeners(() => io3.of('/closed-v3')).value) as Promise<void>, 'node_redis 3')
})
