// Two socket.io 2.x server processes with socket.io-redis 5.x (node_redis 3 clients) and the router,
// against a real redis-server, with real v2 clients: namespace churn leaves Redis and the shared clients
// as they were, and broadcasts still cross nodes on the namespaces that stay.
import t from 'tap'
import { clientV2, connected, once, until } from './helpers/io.js'
import { startNode, type NodeProcess } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

const LIVE = '/category/live/item/1/chat'
const CHURN = 100

type Stats = { namespaces: number; removed: number }

t.test('socket.io 2.x + socket.io-redis 5.x: churn on two nodes leaves nothing subscribed, nothing listening, nothing reachable', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = (await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, TTL: '1' }, 0, 'legacy-node-server.ts')))) as [NodeProcess, NodeProcess]
  const v2 = (node: NodeProcess, name: string) => clientV2(t, node.url + name, { query: 'ns=' + name })

  // A namespace that stays live on both nodes throughout.
  const onA = v2(a, LIVE)
  const onB = v2(b, LIVE)
  await Promise.all([connected(onA), connected(onB)])
  const baseline = await redis.subscriptions('/category/')
  const listeners = async () => [await a.call('listeners'), await b.call('listeners')]
  const baselineListeners = await listeners()
  t.equal(baseline.patterns, 4, "'/' and the live namespace: one pattern each, on each node")

  // Namespaces made by v2 clients on both nodes, and by router.namespace().emit() on both nodes.
  const clients = Array.from({ length: CHURN }, (_, i) => v2(i % 2 ? b : a, `/category/c/item/${i}/chat`))
  await Promise.all(clients.map((client) => connected(client, 10_000)))
  await Promise.all(Array.from({ length: CHURN }, (_, i) => (i % 2 ? b : a).call('emit', { params: { categoryId: 's', itemId: String(i) }, event: 'news', data: i })))
  const peak = await redis.subscriptions('/category/')
  t.ok(peak.patterns > baseline.patterns, `while they live, they are subscribed (${peak.patterns} patterns, ${peak.channels.length} channels)`)
  for (const client of clients) client.close()
  const live = async (node: NodeProcess) => ((await node.call('stats')) as Stats).namespaces
  await until(async () => (await live(a)) === 1 && (await live(b)) === 1, 'only the live namespace is left on each node', 20_000)

  t.same(await redis.subscriptions('/category/', baseline), baseline, `PUBSUB NUMPAT and CHANNELS back at baseline after ${2 * CHURN} namespaces`)
  t.same(await listeners(), baselineListeners, 'listeners on both nodes\' Redis clients back at baseline')
  t.same([await a.call('reachable', { atMost: 1 }), await b.call('reachable', { atMost: 1 })], [1, 1], 'only the live namespace is reachable on each node')

  const heard = once(onB, 'said')
  onA.emit('say', 'from node A')
  t.same(await heard, ['from node A'], 'a broadcast on the live namespace still crosses nodes')
  const fromB = Promise.all([once(onA, 'news'), once(onB, 'news')])
  await b.call('emit', { params: { categoryId: 'live', itemId: '1' }, event: 'news', data: 'from node B' })
  t.same(await fromB, [['from node B'], ['from node B']], 'and router.namespace().emit() reaches both nodes')
  for (const node of [a, b]) await node.call('close')
})
