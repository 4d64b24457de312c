// What a Redis outage does to node-redis v4 clients, and what redis-faults.ts does about it: a real
// redis-server killed with SIGKILL (or frozen with SIGSTOP first, so that commands are in flight) and
// restarted on the same port, real clients.
import { createRequire } from 'node:module'
import { createClient } from 'redis'
import t, { type Test } from 'tap'
import { guardClient, releaseAfterClose, type Held, type HeldUnder, type PubSubClient, type PubSubType } from '../lib/redis-faults.js'
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

t.test('guardClient: publishes in flight when Redis dies are handled, and still reject for whoever awaits them', async (t) => {
  const redis = await startRedis(t)
  const bare = await connect(t, redis)
  const unguarded = await unhandledDuring(async () => { await publishThroughKill(redis, bare) })
  t.ok(unguarded > 0, `without the guard, ${unguarded} unhandled rejections (write EPIPE / ECONNRESET)`)

  await redis.restart()
  const client = await connect(t, redis)
  const undo = guardClient(client)
  let sent: Array<Promise<unknown>> = []
  const guarded = await unhandledDuring(async () => { sent = await publishThroughKill(redis, client) })
  t.equal(guarded, 0, 'with it, none')
  // Those still queued when it died wait for a Redis that is not coming back: only the rejected ones count.
  let rejected = 0
  for (const publish of sent) publish.catch(() => { rejected++ })
  await until(() => rejected > 0, 'an awaited publish still rejects')
  t.pass('an awaited publish still rejects')
  undo()
})

t.test('guardClient: one guard per client, undone by its last holder, never over a later wrapper', async (t) => {
  const redis = await startRedis(t)
  const client = await connect(t, redis) as unknown as Record<string, unknown>
  const proto = Object.getPrototypeOf(client) as Record<string, unknown>
  const first = guardClient(client)
  const guarded = client.publish
  t.not(guarded, proto.publish, 'publish is wrapped')
  const second = guardClient(client)
  t.equal(client.publish, guarded, 'once')
  first()
  first()
  t.equal(client.publish, guarded, 'an undo counts once, and the other holder keeps it')
  second()
  t.notOk(Object.prototype.hasOwnProperty.call(client, 'publish'), 'the last undo leaves the prototype method')
  t.equal(await (client.publish as (c: string, m: string) => Promise<number>)('faults#x', 'y'), 0, 'which works')

  const own = function (this: unknown, ...args: unknown[]) { return (proto.publish as (...a: unknown[]) => unknown).apply(this, args) }
  client.publish = own
  const undoOwn = guardClient(client)
  t.not(client.publish, own)
  undoOwn()
  t.equal(client.publish, own, "an app's own method is put back")

  const undoLater = guardClient(client)
  const later = function (this: unknown, ...args: unknown[]) { return (own as (...a: unknown[]) => unknown).apply(this, args) }
  client.publish = later
  undoLater()
  t.equal(client.publish, later, 'a wrapper set after the guard stays')
})

t.test('guardClient: a client whose commands take callbacks (node_redis 3) works as before', async (t) => {
  const redis = await startRedis(t)
  const client = legacyRedis.createClient(redis.url)
  t.teardown(() => client.quit())
  const undo = guardClient(client)
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

/** One channel of each kind, each with its own listener, on a client of its own, held by `guardClient` or not. */
async function subscribed(t: Test, redis: RedisServer, guard: boolean) {
  const client = await connect(t, redis)
  const subscriber = client.duplicate()
  subscriber.on('error', () => {})
  await subscriber.connect()
  t.teardown(() => subscriber.disconnect().catch(() => {}))
  const listeners = KINDS.map(() => () => {})
  // The channel's listener takes strings, the others Buffers (as the adapters' do).
  await Promise.all(KINDS.map(([, channel, method], i) => subscriber[method](channel, listeners[i] as () => void, i !== 0)))
  if (guard) t.teardown(guardClient(subscriber))
  const held: Held[] = KINDS.map(([type, channel], i) => ({ type, channel, listeners: [{ listener: listeners[i] as () => void, buffers: i !== 0 }] }))
  const close = () => {
    for (const [i, [, channel, method]] of KINDS.entries()) void subscriber[UNSUBSCRIBE[method]](channel, listeners[i] as () => void, i !== 0).catch(() => {})
  }
  return { subscriber, held: held as Array<Held | HeldUnder>, close }
}

async function count(redis: RedisServer) {
  const now = await redis.subscriptions('faults#')
  return { numpat: now.numpat, channels: now.channels, shardChannels: now.shardChannels }
}
const NONE = { numpat: 0, channels: [], shardChannels: [] }

const books = (client: Client) => (['CHANNELS', 'PATTERNS', 'SHARDED'] as const).reduce((sum, type) => sum + client.getPubSubListeners(type as never).size, 0)
const events = (client: Client) => client.listenerCount('ready') + client.listenerCount('error') + client.listenerCount('end') + client.listenerCount('connect')

t.test('releaseAfterClose with Redis up: one round trip, nothing to do, nothing left', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis, true)
  const before = events(subscriber)
  close()
  await Promise.all([releaseAfterClose(subscriber as unknown as PubSubClient, held), releaseAfterClose(subscriber as unknown as PubSubClient, held)])
  await releaseAfterClose(subscriber as unknown as PubSubClient, [])
  t.same(await count(redis), NONE)
  t.equal(events(subscriber), before, 'no listener left on the client')
})

t.test('unsubscribed while Redis is down: node-redis subscribes again on reconnecting, and the client guardClient holds unsubscribes again', async (t) => {
  const redis = await startRedis(t)
  const plain = await subscribed(t, redis, false)
  const guarded = await subscribed(t, redis, true)
  const publisher = await connect(t, redis)
  t.teardown(guardClient(publisher))
  await redis.kill()
  await until(() => !plain.subscriber.isReady && !guarded.subscriber.isReady, 'the clients saw Redis go')
  plain.close()
  guarded.close()
  await redis.restart()
  await until(() => plain.subscriber.isReady && guarded.subscriber.isReady && publisher.isReady, 'the clients are back')
  t.equal(books(plain.subscriber), 0, "the books of the client left alone say it is subscribed to nothing")
  const subscribers = async () => String(await redis.client.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((line) => / (sub|psub|ssub)=[1-9]/.test(line)).length
  await until(async () => (await subscribers()) === 1, 'one connection left subscribed')
  const now = await redis.subscriptions('faults#')
  t.equal(now.numpat, 1, 'yet it is subscribed again to its pattern')
  t.same(now.channels, ['faults#channel'], 'to its channel')
  t.same(now.shardChannels, ['faults#sharded'], 'and to its sharded channel')
  t.equal(await subscribers(), 1, 'while the held client is subscribed to nothing')
})

t.test('guardClient: a reconnection whose barrier is lost leaves the next connection to do it', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, close } = await subscribed(t, redis, true)
  await redis.kill()
  await until(() => !subscriber.isReady, 'the client saw Redis go')
  close()
  // The guard's barrier goes first on 'ready'; closing the client right after loses it.
  subscriber.once('ready', () => { void subscriber.disconnect() })
  await redis.restart()
  await until(() => !subscriber.isOpen, 'the client closed at once')
  t.same(await count(redis), NONE, 'and what it held went with its connection')
})

t.test('unsubscribes lost in flight: the closed listeners stay in the books and are subscribed again; releaseAfterClose removes them', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis, true)
  // Channels under a prefix, found in the books by the listener of one of them (as the sharded adapter's rooms).
  const mine = () => {}
  const other = () => {}
  await subscriber.sSubscribe(['faults#under#a', 'faults#under#b'], mine, true)
  await subscriber.sSubscribe('faults#under#other', other, true)
  redis.freeze()
  close()
  void subscriber.sUnsubscribe(['faults#under#a', 'faults#under#b'], mine, true).catch(() => {})
  const releasing = releaseAfterClose(subscriber as unknown as PubSubClient, [...held, { type: 'SHARDED', prefix: 'faults#under#', anchor: 'faults#under#a' }])
  await redis.kill()
  await until(() => !subscriber.isReady, 'the client saw Redis go')
  t.equal(books(subscriber), 6, 'the lost UNSUBSCRIBEs left the channels in the books')
  await redis.restart()
  await releasing
  t.same(await count(redis), { ...NONE, shardChannels: ['faults#under#other'] }, 'nothing left in Redis but the channel another listener holds')
  t.equal(books(subscriber), 1, 'nor in the books')
})

t.test('releaseAfterClose: unsubscribes queued while down, and a channel the books no longer hold', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis, false)
  await redis.kill()
  await until(() => !subscriber.isReady, 'the client saw Redis go')
  close()
  const releasing = releaseAfterClose(subscriber as unknown as PubSubClient, [...held, { type: 'SHARDED', prefix: 'faults#', anchor: 'faults#sharded' }])
  await redis.restart()
  await releasing
  t.same(await count(redis), NONE, 'released even without the guard: the books no longer held them, Redis did')
})

t.test('releaseAfterClose gives up when the client is closed for good', async (t) => {
  const redis = await startRedis(t)
  const { subscriber, held, close } = await subscribed(t, redis, false)
  await redis.kill()
  await until(() => !subscriber.isReady, 'the client saw Redis go')
  close()
  const pending = releaseAfterClose(subscriber as unknown as PubSubClient, held)
  await subscriber.disconnect()
  await pending
  t.equal(subscriber.listenerCount('ready'), 0, 'and leaves no listener behind')
})
