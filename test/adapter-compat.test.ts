// Which adapter a namespace has, and the private fields the router reads and swaps on it: every adapter
// kind built for real (socket.io 2.5 and 4.8 servers, node_redis 3, ioredis and node-redis v4 clients, a
// real redis-server), each recognised as itself and as nothing else.
import { createRequire } from 'node:module'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter'
import { createClient } from 'redis'
import { Server } from 'socket.io'
import t, { type Test } from 'tap'
import {
  broadcastChannelOf,
  classicSubscriptions,
  isRedisAdapter,
  isSessionAware,
  isShardedRedisAdapter,
  isSocketIoRedis,
  isSocketIoRedis5,
  isStreamsAdapter,
  parserOf,
  publishResponse,
  redisClientsOf,
  requestChannelOf,
  lookUpRequestHandler,
  requestHandlerOf,
  responseChannelOf,
  setParser,
  setRequestHandler,
  socketIoRedis5RequestListener,
  socketIoRedisListeners,
  streamsChannels,
  streamsUidOf,
  subscriberOf,
  unsubscribeSocketIoRedis,
} from '../lib/adapter-compat.js'
import { until } from './helpers/io.js'
import { startRedis, type RedisServer } from './helpers/redis.js'

const require = createRequire(import.meta.url)
const socketIoRedis5 = require('socket.io-redis') as (options: object) => unknown
const socketIoRedis6 = require('socket.io-redis-6') as (options: object) => unknown
const redisV3 = require('redis-v3') as { createClient(url: string): any }

const KINDS = ['socket.io-redis 5', 'socket.io-redis 6', 'redis-adapter', 'sharded', 'streams', 'session-aware', 'in-memory'] as const
type Kind = (typeof KINDS)[number]

const recognise = (adapter: object): Kind[] => {
  const kinds: Kind[] = []
  if (isSocketIoRedis5(adapter)) kinds.push('socket.io-redis 5')
  else if (isSocketIoRedis(adapter)) kinds.push('socket.io-redis 6')
  if (isRedisAdapter(adapter)) kinds.push('redis-adapter')
  if (isShardedRedisAdapter(adapter)) kinds.push('sharded')
  if (isStreamsAdapter(adapter)) kinds.push('streams')
  if (isSessionAware(adapter)) kinds.push('session-aware')
  return kinds.length > 0 ? kinds : ['in-memory']
}

// Ready before the test can end: quitting a node_redis 3 client before its ready check makes the
// adapter emit an 'error' nobody listens to.
async function legacyClients(t: Test, redis: RedisServer): Promise<[any, any]> {
  const pub = redisV3.createClient(redis.url)
  const sub = redisV3.createClient(redis.url)
  sub.setMaxListeners(0)
  t.teardown(() => { pub.quit(); sub.quit() })
  await Promise.all([pub, sub].map((client) => new Promise((resolve) => client.once('ready', resolve))))
  return [pub, sub]
}

async function v4Clients(t: Test, redis: RedisServer): Promise<[any, any]> {
  const pub = createClient({ url: redis.url })
  const sub = pub.duplicate()
  for (const client of [pub, sub]) client.on('error', () => {})
  await Promise.all([pub.connect(), sub.connect()])
  t.teardown(() => Promise.all([pub.quit(), sub.quit()]).catch(() => {}))
  return [pub, sub]
}

function ioredis(t: Test, redis: RedisServer): any {
  const { Redis } = require('ioredis') as typeof import('ioredis')
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  t.teardown(() => client.quit().catch(() => {}))
  return client
}

t.test('each adapter kind is recognised as itself and nothing else', async (t) => {
  const redis = await startRedis(t)
  const io2 = require('socket.io-v2')()
  const [pub5, sub5] = await legacyClients(t, redis)
  io2.adapter(socketIoRedis5({ pubClient: pub5, subClient: sub5 }))
  const io6 = new Server()
  const [pub6, sub6] = await legacyClients(t, redis)
  io6.adapter(socketIoRedis6({ pubClient: pub6, subClient: sub6 }) as any)
  const ioClassic = new Server()
  const [pub, sub] = await v4Clients(t, redis)
  ioClassic.adapter(createAdapter(pub, sub) as any)
  const ioSharded = new Server()
  const [spub, ssub] = await v4Clients(t, redis)
  ioSharded.adapter(createShardedAdapter(spub, ssub) as any)
  const ioStreams = new Server()
  const [streamsClient] = await v4Clients(t, redis)
  // A short block, so that its stream reader sees the end of its last adapter soon.
  ioStreams.adapter(createStreamsAdapter(streamsClient, { blockTimeInMs: 100 }) as any)
  const ioSessions = new Server({ connectionStateRecovery: {} })
  const ioMemory = new Server()
  const servers: Array<[Kind, any]> = [
    ['socket.io-redis 5', io2], ['socket.io-redis 6', io6], ['redis-adapter', ioClassic], ['sharded', ioSharded],
    ['streams', ioStreams], ['session-aware', ioSessions], ['in-memory', ioMemory],
  ]
  for (const [kind, io] of servers) {
    const adapter = io.of('/kinds').adapter
    t.same(recognise(adapter), [kind], kind)
  }

  // The channels and clients each Redis adapter has.
  const classic = ioClassic.of('/kinds').adapter as any
  t.same(redisClientsOf(classic), [pub, sub])
  t.same(redisClientsOf(ioMemory.of('/kinds').adapter), [], 'none on other adapters')
  t.equal(subscriberOf(classic), sub)
  t.equal(broadcastChannelOf(classic), 'socket.io#/kinds#')
  t.equal(broadcastChannelOf(ioMemory.of('/kinds').adapter), undefined)
  t.equal(requestChannelOf(classic), 'socket.io-request#/kinds#')
  t.equal(responseChannelOf(classic), 'socket.io-response#/kinds#')
  const subscriptions = classicSubscriptions(classic)
  t.equal(subscriptions.pattern, 'socket.io#/kinds#*')
  t.same(subscriptions.channels, ['socket.io-request#/kinds#', 'socket.io-response#/kinds#', `socket.io-response#/kinds#${classic.uid}#`])
  t.equal(typeof subscriptions.patternListener, 'function')
  t.equal(typeof subscriptions.channelListener, 'function')
  t.equal(broadcastChannelOf(ioSharded.of('/kinds').adapter), 'socket.io#/kinds#', 'the prefix of the sharded adapter')

  // The streams adapter's uid, and its two channels from its own one.
  const streams = ioStreams.of('/kinds').adapter
  const uid = streamsUidOf(streams)
  t.equal(typeof uid, 'string')
  t.same(streamsChannels(`socket.io#/kinds#${uid}#`, '/kinds', uid), ['socket.io#/kinds#', `socket.io#/kinds#${uid}#`])
  t.equal(streamsChannels('socket.io#/kinds#', '/kinds', uid), undefined, 'not the private channel')
  t.equal(streamsChannels(`socket.io#/other#${uid}#`, '/kinds', uid), undefined, "another namespace's")
  // Closed while Redis runs, once its subscriptions landed: the streams adapter disconnects its subscriber
  // with whatever is in flight, and its own clients stop with its last adapter.
  const own = [streams, ioStreams.of('/').adapter].map((adapter) => `socket.io#${adapter.nsp.name}#${streamsUidOf(adapter)}#`)
  await until(async () => {
    const channels = (await redis.client.sendCommand(['PUBSUB', 'CHANNELS', 'socket.io#*'])) as string[]
    return own.every((channel) => channels.includes(channel))
  }, 'the streams adapter subscribed')
  const connections = async () => String(await redis.client.sendCommand(['CLIENT', 'LIST'])).trim().split('\n').length
  const before = await connections()
  for (const [, io] of servers.slice(1)) for (const nsp of io._nsps.values()) await nsp.adapter.close?.()
  await until(async () => (await connections()) <= before - 2, "the streams adapter's own clients are gone", 15_000)
})

t.test('socket.io-redis 5.x and 6.x: the listeners their constructors add, and their subscriptions undone', async (t) => {
  const redis = await startRedis(t)
  for (const [name, make, io] of [
    ['5.x', socketIoRedis5, require('socket.io-v2')()],
    ['6.x', socketIoRedis6, new Server()],
  ] as const) {
    const [pubClient, subClient] = await legacyClients(t, redis)
    io.adapter(make({ pubClient, subClient }))
    const adapter = io.of(`/legacy-${name}`).adapter
    const added = socketIoRedisListeners(adapter)
    t.same(added.map(({ emitter, event }) => [emitter === subClient ? 'sub' : 'pub', event]), [
      ['sub', 'pmessageBuffer'], ['sub', 'messageBuffer'], ['sub', 'error'], ['pub', 'error'],
    ], `${name}: each found as the last of its list`)
    for (const { emitter, event, listener } of added) t.ok(emitter.listeners(event).includes(listener))
    // Once something else was added after them, they can no longer be told apart: none is claimed.
    const foreign = () => {}
    for (const event of ['pmessageBuffer', 'messageBuffer', 'error']) subClient.on(event, foreign)
    pubClient.on('error', foreign)
    t.same(socketIoRedisListeners(adapter), [], `${name}: nothing found below a foreign listener`)

    await redis.subscriptions(`/legacy-${name}`)
    t.equal((await redis.subscriptions(`/legacy-${name}`)).channels.length, 2, `${name}: request and response channels`)
    unsubscribeSocketIoRedis(adapter)
    await until(async () => (await redis.subscriptions(`/legacy-${name}`)).channels.length === 0, `${name}: unsubscribed`)
  }

  // On a client already closed, the failure is only logged.
  const [pubClient, subClient] = await legacyClients(t, redis)
  const io = require('socket.io-v2')()
  io.adapter(socketIoRedis5({ pubClient, subClient }))
  const adapter = io.of('/closed').adapter
  await new Promise((resolve) => subClient.quit(resolve))
  const answered: unknown[] = []
  for (const method of ['punsubscribe', 'unsubscribe']) {
    const original = subClient[method]
    subClient[method] = (channels: unknown, callback: (error: unknown) => void) =>
      original.call(subClient, channels, (error: unknown) => { callback(error); answered.push(error) })
  }
  unsubscribeSocketIoRedis(adapter)
  await until(() => answered.length === 2, 'both commands answered')
  t.ok(answered.every((error) => error instanceof Error), 'with an error, logged')
})

t.test("socket.io-redis 5.x: the adapter's own request listener among the others'", async (t) => {
  const redis = await startRedis(t)
  const [pubClient, subClient] = await legacyClients(t, redis)
  const io = require('socket.io-v2')()
  io.adapter(socketIoRedis5({ pubClient, subClient }))
  const early = io.of('/early').adapter
  const mine = subClient.listeners('messageBuffer').at(-1)
  io.of('/late')
  subClient.on('messageBuffer', function foreign() {})
  t.equal(socketIoRedis5RequestListener(early), mine, 'found below a later namespace\'s and a foreign one')
  t.same(Object.keys(early.requests), [], 'and the probe request is gone')
  subClient.removeListener('messageBuffer', mine)
  t.equal(socketIoRedis5RequestListener(early), undefined, 'gone: not found')
})

t.test('@socket.io/redis-adapter: parser and request handler swapped, on node-redis v4 and on ioredis', async (t) => {
  const redis = await startRedis(t)
  for (const client of ['node-redis v4', 'ioredis'] as const) {
    const [pub, sub] = client === 'ioredis' ? [ioredis(t, redis), ioredis(t, redis)] : await v4Clients(t, redis)
    const io = new Server()
    io.adapter(createAdapter(pub, sub) as any)
    const name = `/swapped-${client.replace(/\W/g, '')}`
    const adapter = io.of(name).adapter as any
    t.teardown(() => adapter.close())
    await redis.subscriptions(name)

    const parser = parserOf(adapter)
    t.equal(typeof parser.decode, 'function')
    const mine = { encode: parser.encode, decode: parser.decode }
    setParser(adapter, mine)
    t.equal(parserOf(adapter), mine)

    const onrequest = requestHandlerOf(adapter)
    const heard: string[] = []
    setRequestHandler(adapter, function (this: unknown, channel: unknown, message: Buffer) {
      heard.push(String(channel))
      return onrequest.call(this, channel, message)
    })
    lookUpRequestHandler(adapter)
    t.not(requestHandlerOf(adapter), onrequest)
    const booked = adapter.redisListeners.get('messageBuffer')
    t.equal(booked === undefined || sub.listeners('messageBuffer').includes(booked), true, `${client}: what close() removes is on the client`)
    await redis.client.publish(requestChannelOf(adapter), JSON.stringify({ uid: 'elsewhere', type: 99 }))
    await until(() => heard.length === 1, `${client}: a request reaches the new handler`)
    t.same(heard, [requestChannelOf(adapter)])

    const answers = await redis.client.duplicate()
    await answers.connect()
    t.teardown(() => answers.quit())
    const answer = new Promise<string>((resolve) => void answers.subscribe(responseChannelOf(adapter), resolve))
    await until(async () => ((await redis.client.sendCommand(['PUBSUB', 'NUMSUB', responseChannelOf(adapter)])) as [string, number])[1] >= 2, 'listening')
    await publishResponse(adapter, 'an answer')
    t.equal(await answer, 'an answer', `${client}: published on the response channel`)
  }
})
