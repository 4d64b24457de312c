// A client that has its CONNECT ack receives every cross-node broadcast emitted after it, even in a
// namespace its CONNECT just created (issue 13 §5): node B broadcasts the instant node A's client is
// connected, with real processes, a real redis-server and real clients. Without the router's wait for
// the new namespace's subscriptions, tens of each 1,000 broadcasts were lost on every Pub/Sub adapter.
import { fork } from 'node:child_process'
import t from 'tap'
import { startNode } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)
const CONCURRENCY = 20
const ADAPTERS = process.env.JOIN_ADAPTERS?.split(',') ?? ['classic', 'classic-ioredis', 'sharded-dynamic', 'sharded-static', 'streams', 'streams-sharded']

for (const adapter of ADAPTERS) {
  t.test(`${adapter}: ${COUNT} broadcasts the instant the client is connected, none lost`, async (t) => {
    const redis = await startRedis(t)
    const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, ADAPTER: adapter, TTL: '100' })))
    const result = await b!.call('race', { url: a!.url, run: 'r', count: COUNT, concurrency: CONCURRENCY })
    t.same(result, { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
    for (const node of [a, b]) await node!.call('close')
  })
}

t.test(`socket.io 2.x, socket.io-redis 5.x, socket.io-client 2.x: ${COUNT} broadcasts, none lost`, async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, TTL: '100' }, 0, 'legacy-node-server.ts')))
  const result = await b!.call('race', { url: a!.url, run: 'r', count: COUNT, concurrency: CONCURRENCY })
  t.same(result, { lost: 0, failed: 0 }, `0 of ${COUNT} lost`)
  for (const node of [a, b]) await node!.call('close')
})

t.test(`the cluster adapter: ${2 * COUNT} broadcasts (about half to the other worker), none lost`, async (t) => {
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
