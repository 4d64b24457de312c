// The join race of join.test.ts on socket.io 2.x with socket.io-redis 5.x (socket.io-client 2.x
// clients).
import t from 'tap'
import { madeProgress, startNode } from './helpers/node.js'
import { raceAfterWarmUp } from './helpers/race.js'
import { startRedis } from './helpers/redis.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)

t.test(`socket.io 2.x, socket.io-redis 5.x, socket.io-client 2.x: ${COUNT} broadcasts, none lost`, async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, TTL: '100' }, 0, 'legacy-node-server.ts')))
  const result = await raceAfterWarmUp(a!, b!, COUNT, madeProgress)
  t.same(result, { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
  for (const node of [a, b]) await node!.call('close')
})
