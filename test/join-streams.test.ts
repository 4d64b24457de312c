// The join race of join.test.ts on @socket.io/redis-streams-adapter 0.3.x, with and without
// sharded Pub/Sub: its broadcasts go through a stream every node reads, so no join waits for them.
import t from 'tap'
import { madeProgress, startNode } from './helpers/node.js'
import { raceAfterWarmUp } from './helpers/race.js'
import { startRedis } from './helpers/redis.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)

for (const adapter of ['streams', 'streams-sharded']) {
  t.test(`${adapter}: ${COUNT} broadcasts the instant the client is connected, none lost`, async (t) => {
    const redis = await startRedis(t)
    const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, ADAPTER: adapter, TTL: '100' })))
    t.same(await raceAfterWarmUp(a!, b!, COUNT, madeProgress), { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
    for (const node of [a, b]) await node!.call('close')
  })
}
