// Redis failing under the router: two server processes with the router and @socket.io/redis-adapter (classic
// and sharded) on a real redis-server that is killed with SIGKILL and restarted on the same port, 200 real v4
// clients in 50 routed namespaces. A node killed: router-faults-node.test.ts.
import type { Test } from 'tap'
import t from 'tap'
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, once, startServer, until } from './helpers/io.js'
import { crossNode, madeProgress, startNode, type NodeProcess } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

// Each test starts its own redis-server and node processes: tap's limit bounds each test, not their sum.
t.beforeEach(madeProgress)

const NAMESPACES = 50
const REMOVED = 10
const name = (i: number) => `/category/storm/item/${i}/chat`
const params = (i: number) => ({ categoryId: 'storm', itemId: String(i) })
type Stats = { namespaces: number; removed: number }
const stats = (node: NodeProcess) => node.call('stats') as Promise<Stats>

/** 200 clients: two per namespace on each node. */
async function populate(t: Test, nodes: NodeProcess[]) {
  const sockets = Array.from({ length: NAMESPACES }, (_, i) => nodes.flatMap((node) => [clientV4(t, node.url + name(i)), clientV4(t, node.url + name(i))]))
  await Promise.all(sockets.flat().map((socket) => connected(socket, 10_000)))
  return sockets
}

for (const mode of ['classic', 'sharded'] as const) {
  t.test(`${mode}: Redis killed with broadcasts in flight, namespaces removed during the outage, Redis restarted`, async (t) => {
    const redis = await startRedis(t)
    const env = { REDIS_URL: redis.url, TTL: '100', SHARDED: mode === 'sharded' ? '1' : undefined }
    const nodes = await Promise.all([startNode(t, env), startNode(t, env)])
    const [a, b] = nodes as [NodeProcess, NodeProcess]
    const baseline = await redis.subscriptions('/category/')
    const sockets = await populate(t, nodes)
    const live = await redis.subscriptions('/category/')
    t.ok(live.patterns + live.channels.length + live.shardChannels.length > baseline.patterns, 'the namespaces are subscribed')
    let exits = 0
    for (const node of nodes) void node.exited.then(() => { exits++ })

    for (const node of nodes) await node.call('storm', { category: 'storm', count: NAMESPACES })
    // Frozen first, so that broadcasts are written and unanswered when it dies.
    redis.freeze()
    await redis.kill()
    for (const node of nodes) await node.call('calm')
    await until(async () => (await a.call('redisErrors') as number) > 0 && (await b.call('redisErrors') as number) > 0, 'both nodes saw Redis go')

    // The classic adapter delivers on its own node at once; the sharded one (socket.io-adapter's
    // ClusterAdapter) first awaits its publish, which node-redis holds until Redis is back.
    let sameNode: unknown[] | undefined
    void once(sockets[20]![1]!, 'said', 20_000).then((args) => { sameNode = args })
    sockets[20]![0]!.emit('say', 'during the outage')
    if (mode === 'classic') {
      await until(() => sameNode !== undefined, 'the same-node broadcast')
      t.same(sameNode, ['during the outage'], 'during the outage, a broadcast reaches the clients of the same node')
    }

    for (const socket of sockets.slice(0, REMOVED).flat()) socket.close()
    await until(async () => (await stats(a)).removed === REMOVED && (await stats(b)).removed === REMOVED, 'both nodes removed the namespaces their clients left')
    if (mode === 'sharded') t.equal(sameNode, undefined, 'during the outage, even a broadcast to the same node waits')
    await redis.restart()
    if (mode === 'sharded') {
      await until(() => sameNode !== undefined, 'the held broadcast')
      t.same(sameNode, ['during the outage'], 'and is delivered once Redis is back')
    }
    const restarted = Date.now()
    await until(async () => (await a.call('redisReady')) === true && (await b.call('redisReady')) === true, 'both nodes reconnected')
    const ms = await crossNode(a, sockets[REMOVED]![2]!, params(REMOVED))
    t.comment(`cross-node broadcasts flow again ${Date.now() - restarted} ms after the restart (${ms} ms of probing)`)

    const after = await redis.subscriptions('/category/')
    const leftovers = [...after.channels, ...after.shardChannels].filter((channel) => Array.from({ length: REMOVED }, (_, i) => name(i)).some((removed) => channel.includes(removed + '#')))
    t.same(leftovers, [], 'no channel of a namespace removed during the outage is subscribed')
    t.equal(after.patterns, live.patterns - (live.patterns - baseline.patterns) * REMOVED / NAMESPACES, 'nor its pattern')

    for (const socket of sockets.flat()) socket.close()
    await until(async () => (await stats(a)).namespaces + (await stats(b)).namespaces === 0, 'every namespace removed')
    t.same(await redis.subscriptions('/category/', baseline), baseline, 'back to the baseline')
    t.equal(exits, 0, 'no node exited')
    for (const node of nodes) await node.call('close')
  })
}

t.test('plain socket.io with the same setup exits on the same fault (what the router guards against)', async (t) => {
  const redis = await startRedis(t)
  const node = await startNode(t, { REDIS_URL: redis.url, PLAIN: '1' })
  await node.call('storm', { category: 'storm', count: NAMESPACES })
  redis.freeze()
  await redis.kill()
  t.equal(await node.exited, 1, 'the process ends on the unhandled rejection')
})

t.test('the router holds the Redis clients of the adapter while it lives, and lets go on close()', async (t) => {
  const redis = await startRedis(t)
  const pub = createClient({ url: redis.url })
  const sub = pub.duplicate()
  for (const client of [pub, sub]) client.on('error', () => {})
  await Promise.all([pub.connect(), sub.connect()])
  t.teardown(() => Promise.all([pub.quit(), sub.quit()]))
  const { io } = await startServer(t)
  io.adapter(createAdapter(pub, sub))
  const own = (client: object) => Object.prototype.hasOwnProperty.call(client, 'publish')
  const router = createNamespaceRouter(io, { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
  t.ok(own(pub) && own(sub), 'both clients held from the start')
  router.namespace('chat', params(1)).emit('news', 1)
  await router.close()
  t.notOk(own(pub) || own(sub), 'let go on close()')
  io.close()
})
