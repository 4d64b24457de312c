// A client that has its CONNECT ack receives every cross-node broadcast emitted after it, even in a
// namespace its CONNECT just created: node B broadcasts the instant node A's client is connected.
import t from 'tap'
import { startNode } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)
const ADAPTERS = (process.env.JOIN_ADAPTERS ?? 'classic,classic-ioredis,sharded-dynamic,sharded-static,streams,streams-sharded').split(',')

for (const adapter of ADAPTERS) {
  t.test(`${adapter}: ${COUNT} broadcasts the instant the client is connected, none lost`, async (t) => {
    const redis = await startRedis(t)
    const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, ADAPTER: adapter, TTL: '100' })))
    const result = await b!.call<{ lost: number; failed: number }>('race', { url: a!.url, run: 'r', count: COUNT, concurrency: 20 })
    t.same(result, { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
    for (const node of [a, b]) await node!.call('close')
  })
}
