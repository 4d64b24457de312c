// What a Redis outage does to node-redis v4 clients, and what redis-faults.ts does about it: a real
// redis-server killed with SIGKILL (or frozen with SIGSTOP first, so that commands are in flight) and
// restarted on the same port, real clients.
import { createRequire } from 'node:module'
import { createClient } from 'redis'
import t, { type Test } from 'tap'
import { guardRejections, heldBy, releaseAfterClose, type PubSubClient, type PubSubType } from '../lib/redis-faults.js'
import { until } from './helpers/io.js'
import { startRedis, type RedisServer } from './helpers/redis.js'

const require = createRequire(import.meta.url)
const legacyRedis = require('redis-v3') as { createClient(url: string): any }

type Client = ReturnType<typeof createClient>

async function connect(t: Test, redis: RedisServer): Promise<Client> {
  const client = createClient({ url: redis.url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(() => client.disconnect().catch(() => {}))
  return client
}

/** Counts the unhandled rejections while `run` runs (and a moment after, for late ones). */
async function unhandledDuring(run: () => Promise<void>): Promise<number> {
  let count = 0
  const listener = () => { count++ }
  process.on('unhandledRejection', listener)
  try {
    await run()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('unhandledRejection', listener)
  }
  return count
}

/** Publishes without awaiting, as @socket.io/redis-adapter does, until Redis is killed under it. */
async function publishThroughKill(redis: RedisServer, client: Client): Promise<Array<Promise<unknown>>> {
  const sent: Array<Promise<unknown>> = []
  redis.freeze()
  for (let i = 0; i < 100; i++) sent.push(client.publish('faults#flood', String(i)))
  await redis.kill()
  await until(() => !client.isReady, 'the client saw the connection go')
  return sent
}

t.test('guardRejections: publishes in flight when Redis dies are handled, and still reject for whoever awaits them', async (t) => {
  const redis = await startRedis(t)
  const bare = await connect(t, redis)
  const unguarded = await unhandledDuring(async () => { await publishThroughKill(redis, bare) })
  t.ok(unguarded > 0, `without the guard, ${unguarded} unhandled rejections (write EPIPE / ECONNRESET)`)

  await redis.restart()
  const client = await connect(t, redis)
  const undo = guardRejections(client)
  let sent: Array<Promise<unknown>> = []
  const guarded = await unhandledDuring(async () => { sent = await publishThroughKill(redis, client) })
  t.equal(guarded, 0, 'with it, none')
  const settled = await Promise.allSettled(sent)
  t.ok(settled.some((result) => result.status === 'rejected'), 'an awaited publish still rejects')
  undo()
})

t.test('guardRejections: one guard per client, undone by its last holder, never over a later wrapper', async (t) => {
  const redis = await startRedis(t)
  const client = await connect(t, redis) as unknown as Record<string, unknown>
  const proto = Object.getPrototypeOf(client) as Record<string, unknown>
  const first = guardRejections(client)
  const guarded = client.publish
  t.not(guarded, proto.publish, 'publish is wrapped')
  const second = guardRejections(client)
  t.equal(client.publish, guarded, 'once')
  first()
  first()
  t.equal(client.publish, guarded, 'an undo counts once, and the other holder keeps it')
  second()
  t.notOk(Object.prototype.hasOwnProperty.call(client, 'publish'), 'the last undo leaves the prototype method')
  t.equal(await (client.publish as (c: string, m: string) => Promise<number>)('faults#x', 'y'), 0, 'which works')

  const own = function (this: unknown, ...args: unknown[]) { return (proto.publish as (...a: unknown[]) => unknown).apply(this, args) }
  client.publish = own
  const undoOwn = guardRejections(client)
  t.not(client.publish, own)
  undoOwn()
  t.equal(client.publish, own, "an app's own method is put back")

  const undoLater = guardRejections(client)
  const later = function (this: unknown, ...args: unknown[]) { return (own as (...a: unknown[]) => unknown).apply(this, args) }
  client.publish = later
  undoLater()
  t.equal(client.publish, later, 'a wrapper set after the guard stays')
})

t.test('guardRejections: a client whose commands take callbacks (node_redis 3) works as before', async (t) => {
  const redis = await startRedis(t)
  const client = legacyRedis.createClient(redis.url)
  t.teardown(() => client.quit())
  const undo = guardRejections(client)
  const answer = await new Promise((resolve, reject) => {
    const returned = client.publish('faults#legacy', 'x', (error: unknown, count: number) => (error ? reject(error) : resolve(count)))
    t.type(returned, 'boolean', 'what the command returns is passed on')
  })
  t.equal(answer, 0)
  undo()
})

const KINDS: Array<[PubSubType, string, 'subscribe' | 'pSubscribe' | 'sSubscribe']> = [
  ['CHANNELS', 'faults#channel', 'subscribe'],
  ['PATTERNS', 'faults#pattern#*', 'pSubscribe'],
  ['SHARDED', 'faults#sharded', 'sSubscribe'],
]
const UNSUBSCRIBE = { subscribe: 'unsubscribe', pSubscribe: 'pUnsubscribe', sSubscribe: 'sUnsubscribe' } as const

/** One channel of each kind, each with its own listener, on a client of its own. */
async function subscribed(t: Test, redis: RedisServer) {
  const client = await connect(t, redis)
  const subscriber = client.duplicate()
  subscriber.on('error', () => {})
  await subscriber.connect()
  t.teardown(() => subscriber.disconnect().catch(() => {}))
  const listeners = KINDS.map(() => () => {})
  await Promise.all(KINDS.map(([, channel, method], i) => subscriber[method](channel, listeners[i] as () => void, true)))
  guardRejections(subscriber)
  const held = heldBy(subscriber as unknown as PubSubClient, KINDS.map(([type, channel]) => [type, channel]))
  const close = () => {
    for (const [i, [, channel, method]] of KINDS.entries()) void subscriber[UNSUBSCRIBE[method]](channel, listeners[i] as () => void, true)
  }
  return { subscriber, held, close }
}

async function count(redis: RedisServer) {
  const now = await redis.subscriptions('faults#')
  return { numpat: now.numpat, channels: now.channels, shardChannels: now.shardChannels }
}
const NONE = { numpat: 0, channels: [], shardChannels: [] }

t.test('heldBy reads the books; releaseAfterClose with Redis up: one round trip, nothing to do, nothing left', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis)
  t.same(held.map(({ type, channel, listeners }) => [type, channel, listeners.length]), KINDS.map(([type, channel]) => [type, channel, 1]))
  t.same(heldBy(subscriber as unknown as PubSubClient, [['CHANNELS', 'faults#none']]), [], 'a channel not subscribed is not held')
  const before = subscriber.listenerCount('ready') + subscriber.listenerCount('error') + subscriber.listenerCount('end')
  close()
  await releaseAfterClose(subscriber as unknown as PubSubClient, held)
  await releaseAfterClose(subscriber as unknown as PubSubClient, [])
  t.same(await count(redis), NONE)
  t.equal(subscriber.listenerCount('ready') + subscriber.listenerCount('error') + subscriber.listenerCount('end'), before, 'no listener left on the client')
})

t.test('unsubscribed while Redis is down: node-redis subscribes again on reconnecting, releaseAfterClose undoes it', async (t) => {
  const redis = await startRedis(t)
  const plain = await subscribed(t, redis)
  const released = await subscribed(t, redis)
  await redis.kill()
  await until(() => !plain.subscriber.isReady && !released.subscriber.isReady, 'the clients saw Redis go')
  plain.close()
  released.close()
  const releasing = releaseAfterClose(released.subscriber as unknown as PubSubClient, released.held)
  await redis.restart()
  await until(() => plain.subscriber.isReady && released.subscriber.isReady, 'both clients are back')
  await releasing
  const now = await redis.subscriptions('faults#')
  t.equal(now.numpat, 1, 'the client left alone is subscribed again to its pattern')
  t.same(now.channels, ['faults#channel'], 'and to its channel')
  t.same(now.shardChannels, ['faults#sharded'], 'and to its sharded channel')
  t.equal(String(await redis.client.sendCommand(['CLIENT', 'LIST'])).match(/ sub=[1-9]/g)?.length, 1, 'by one connection only: the released one holds nothing')
  t.equal(plain.subscriber.getPubSubListeners('CHANNELS' as never).size, 0, 'while its books say it is subscribed to nothing')
})

t.test('unsubscribes lost in flight: the closed listeners stay in the books and are subscribed again; releaseAfterClose removes them', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis)
  redis.freeze()
  close()
  const releasing = releaseAfterClose(subscriber as unknown as PubSubClient, held)
  await redis.kill()
  await until(() => !subscriber.isReady, 'the client saw Redis go')
  t.equal(subscriber.getPubSubListeners('CHANNELS' as never).size, 1, 'the lost UNSUBSCRIBE left the channel in the books')
  await redis.restart()
  await releasing
  t.same(await count(redis), NONE, 'nothing left in Redis')
  t.equal(subscriber.getPubSubListeners('CHANNELS' as never).size, 0, 'nor in the books')
})

t.test('releaseAfterClose gives up when the client is closed for good', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis)
  await redis.kill()
  await until(() => !subscriber.isReady, 'the client saw Redis go')
  close()
  const pending = releaseAfterClose(subscriber as unknown as PubSubClient, held)
  await subscriber.disconnect()
  await pending
  t.equal(subscriber.listenerCount('ready'), 0, 'and leaves no listener behind')
})
