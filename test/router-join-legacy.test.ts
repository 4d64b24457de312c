// The join race of router-join.test.ts on socket.io 2.x with socket.io-redis 5.x (socket.io-client 2.x
// clients), and on node:cluster workers with @socket.io/cluster-adapter.
import { fork } from 'node:child_process'
import t from 'tap'
import { startNode } from './helpers/node.js'
import { raceAfterWarmUp } from './helpers/race.js'
import { startRedis } from './helpers/redis.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)
const CONCURRENCY = 20

t.test(`socket.io 2.x, socket.io-redis 5.x, socket.io-client 2.x: ${COUNT} broadcasts, none lost`, async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, TTL: '100' }, 0, 'legacy-node-server.ts')))
  const result = await raceAfterWarmUp(a!, b!, COUNT)
  t.same(result, { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
  for (const node of [a, b]) await node!.call('close')
})

t.test(`the cluster adapter: ${2 * COUNT} broadcasts (joins spread over both workers by round-robin), none lost`, async (t) => {
  const primary = fork(new URL('./fixtures/cluster-primary.ts', import.meta.url), { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  t.teardown(() => { primary.send({ cmd: 'exit' }) })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the cluster did not start')), 30_000)
    primary.on('message', (message: any) => {
      if (message?.ready) {
        clearTimeout(timer)
        resolve(message.ready)
      }
    })
  })
  const result = await new Promise<unknown>((resolve) => {
    primary.on('message', (message: any) => { if (message?.id === 1) resolve(message.result) })
    primary.send({ id: 1, worker: 0, cmd: 'race', url: `http://127.0.0.1:${port}`, run: 'r', count: 2 * COUNT, concurrency: CONCURRENCY })
  })
  t.same(result, { lost: 0, failed: 0 }, `0 of ${2 * COUNT} lost`)
})

