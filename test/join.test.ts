// A client that has its CONNECT ack receives every cross-node broadcast emitted after it, even in a
// namespace its CONNECT just created (issue 13 §5): node B broadcasts the instant node A's client is
// connected, with real processes, a real redis-server and real clients. Without the router's wait for
// the new namespace's subscriptions, tens of each 1,000 broadcasts were lost on every Pub/Sub adapter.
// The sharded adapter, the streams adapter, socket.io 2.x and the cluster adapter: join-sharded,
// join-streams, join-legacy and join-cluster (one file each, for tap's time limit per file).
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import t from 'tap'
import { createNamespaceRouter } from '../lib/router.js'
import { codes } from '../lib/errors.js'
import { clientV4, nextEvent, refusal, startServer, until } from './helpers/io.js'
import { madeProgress, startNode } from './helpers/node.js'
import { raceAfterWarmUp } from './helpers/race.js'
import { startRedis } from './helpers/redis.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)
const ADAPTERS = process.env.JOIN_ADAPTERS?.split(',') ?? ['classic', 'classic-ioredis']

for (const adapter of ADAPTERS) {
  t.test(`${adapter}: ${COUNT} broadcasts the instant the client is connected, none lost`, async (t) => {
    const redis = await startRedis(t)
    const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, ADAPTER: adapter, TTL: '100' })))
    const result = await raceAfterWarmUp(a!, b!, COUNT, madeProgress)
    t.same(result, { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
    for (const node of [a, b]) await node!.call('close')
  })
}

t.test('a join waiting for its namespace\'s subscriptions when the router closes is refused, not let into a removed namespace', async (t) => {
  const redis = await startRedis(t)
  const { io, url } = await startServer(t)
  const [pub, sub] = [createClient({ url: redis.url }), createClient({ url: redis.url })]
  for (const client of [pub, sub]) client.on('error', () => {})
  await Promise.all([pub.connect(), sub.connect()])
  io.adapter(createAdapter(pub, sub))
  const router = createNamespaceRouter(io, { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
  const created = nextEvent(router, 'namespace.created')
  // Redis holds every command for a while: the new namespace's subscriptions stay unconfirmed meanwhile.
  await redis.client.sendCommand(['CLIENT', 'PAUSE', '2000', 'ALL'])
  const socket = clientV4(t, url + '/category/1/item/1/chat')
  await created
  await until(() => router.stats().joining === 1, 'the socket waits in the router\'s middleware', 1500)
  const closing = router.close()
  const refused = await refusal('4', socket, 5000)
  t.equal(refused.data?.code, codes.UNAVAILABLE, 'refused: the namespace was removed while it waited')
  await closing
  await io.close()
  await Promise.all([pub.quit(), sub.quit()])
})
