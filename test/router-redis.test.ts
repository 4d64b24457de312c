// Several server processes, each with the router and @socket.io/redis-adapter, against a real
// redis-server started on a free port.
import t from 'tap'
import { clientV2, clientV4, connected, once, until, withDeadline } from './helpers/io.js'
import { madeProgress, startNode } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

// Each test starts its own redis-server and node processes: tap's limit bounds each test, not their sum.
t.beforeEach(madeProgress)

const NS = '/category/1/item/2/chat'
const PARAMS = { categoryId: '1', itemId: '2' }

t.test('clients on different nodes share one routed namespace', async (t) => {
  const redis = await startRedis(t)
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => startNode(t, { REDIS_URL: redis.url })))
  const onA = clientV4(t, a!.url + NS)
  const onB = clientV2(t, b!.url + NS, { query: 'ns=' + NS })
  await Promise.all([connected(onA), connected(onB)])
  // A namespace's Redis adapter subscribes asynchronously: broadcasts flow once it has.
  await redis.subscriptions(NS)

  const heard = once(onB, 'said')
  onA.emit('say', 'from node A')
  t.same(await heard, ['from node A'], 'socket.broadcast.emit crosses nodes')

  const fromC = Promise.all([once(onA, 'news'), once(onB, 'news')])
  t.same((await c!.call('stats') as { namespaces: number }).namespaces, 0, 'nobody is connected to node C')
  await c!.call('emit', { params: PARAMS, event: 'news', data: 'from node C' })
  t.same(await fromC, [['from node C'], ['from node C']], "router.namespace().emit from a node with no clients")

  await new Promise<void>((resolve) => onA.emit('join', 'room-1', resolve))
  await new Promise<void>((resolve) => onB.emit('join', 'room-1', resolve))
  const onA2 = clientV4(t, a!.url + NS)
  await connected(onA2)
  await redis.subscriptions(NS)
  let outsider = false
  onA2.on('roomMessage', () => { outsider = true })
  const inRoom = Promise.all([once(onA, 'roomMessage'), once(onB, 'roomMessage')])
  onB.emit('toRoom', 'room-1', 'to the room')
  t.same(await inRoom, [['to the room'], ['to the room']], 'rooms inside the namespace work across nodes')
  // Node B publishes in order and node A delivers in order: a broadcast sent after the room message
  // reaching the outsider means the room message would have reached it first.
  const after = once(onA2, 'said')
  onB.emit('say', 'after the room message')
  await after
  t.notOk(outsider, 'and only reach the room')

  const ids = (await c!.call('fetchSockets', { params: PARAMS })) as string[]
  t.equal(ids.length, 3, 'fetchSockets() on the routed namespace sees every node')
  for (const node of [a, b, c]) await node!.call('close')
})

t.test('removal on one node closes its adapter: its Redis subscriptions go, the others keep working', async (t) => {
  const redis = await startRedis(t)
  const baseline = await redis.subscriptions(NS)
  const [a, b] = await Promise.all([1, 2].map(() => startNode(t, { REDIS_URL: redis.url, TTL: '100' })))
  const baselineWithNodes = await redis.subscriptions(NS)
  t.same(baselineWithNodes.channels, [], 'no subscription for the namespace before it exists')

  const onA = clientV4(t, a!.url + NS)
  const onB = clientV4(t, b!.url + NS)
  await Promise.all([connected(onA), connected(onB)])
  const both = await redis.subscriptions(NS)
  t.equal(both.patterns, baselineWithNodes.patterns + 2, 'one pattern subscription per node for the namespace')
  t.equal(both.numpat, baselineWithNodes.numpat + 1, 'on one pattern (PUBSUB NUMPAT)')
  t.ok(both.channels.length > 0, 'and request/response channels')

  const stats = (node: typeof a) => node!.call('stats') as Promise<{ namespaces: number; removed: number }>
  onA.close()
  await until(async () => (await stats(a)).removed === 1, 'node A removed its empty namespace')
  const one = await redis.subscriptions(NS)
  t.equal(one.patterns, baselineWithNodes.patterns + 1, "node A's pattern subscription is gone")
  t.equal(one.numpat, baselineWithNodes.numpat + 1, "node B's is still there")
  t.ok(one.channels.length < both.channels.length, "and so are node A's channels")

  const heard = once(onB, 'news')
  await a!.call('emit', { params: PARAMS, event: 'news', data: 'still there' })
  t.same(await heard, ['still there'], 'node B still gets broadcasts, even from node A')

  onB.close()
  await until(async () => (await stats(a)).namespaces + (await stats(b)).namespaces === 0, 'both nodes removed theirs')
  const after = await redis.subscriptions(NS)
  t.same(after, { ...baselineWithNodes, channels: [] }, 'after everyone left, back to the baseline')
  t.ok(baseline.patterns <= after.patterns)
  for (const node of [a, b]) await node!.call('close')
})

t.test('emitting from a node with no clients leaves nothing behind (socket.io-redis-adapter#537)', async (t) => {
  const redis = await startRedis(t)
  const a = await startNode(t, { REDIS_URL: redis.url, TTL: '2000' })
  const baseline = await redis.subscriptions('/category/')
  for (let i = 0; i < 20; i++) await a.call('emit', { params: { categoryId: '9', itemId: String(i) }, event: 'news', data: i })
  t.equal((await a.call('stats') as { namespaces: number }).namespaces, 20)
  t.ok((await redis.subscriptions('/category/')).patterns >= baseline.patterns + 20, 'while they live, they are subscribed')
  await until(async () => (await a.call('stats') as { namespaces: number }).namespaces === 0, 'they are removed', 15_000)
  t.pass('removed after the grace period')
  t.same(await redis.subscriptions('/category/', baseline), baseline, 'and unsubscribed')
  await a.call('close')
})

t.test('a refused flood does not touch Redis', async (t) => {
  const redis = await startRedis(t)
  const a = await startNode(t, { REDIS_URL: redis.url })
  const baseline = await redis.subscriptions('/')
  const manager = clientV4(t, a.url).io
  await Promise.all(Array.from({ length: 200 }, (_, i) => {
    const socket = manager.socket(`/nope/${i}`)
    socket.connect()
    return once(socket, 'connect_error')
  }))
  t.same(await redis.subscriptions('/', baseline), baseline, 'refusals never subscribe')
  await a.call('close')
})

t.test('a node that restarts: v2 and v4 clients come back into their namespace and are announced again', async (t) => {
  const redis = await startRedis(t)
  const a = await startNode(t, { REDIS_URL: redis.url })
  const v4 = clientV4(t, a.url + NS, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 })
  const v2 = clientV2(t, a.url + NS, { query: 'ns=' + NS, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 })
  const [[before4], [before2]] = await Promise.all([once(v4, 'welcome'), once(v2, 'welcome')])
  t.equal(before4.pid, before2.pid)
  await a.kill()
  // Heard from the start (a client may be back before startNode resolves), bounded from the moment the new
  // node listens: its start on a loaded machine is startNode's to bound.
  const welcomed = (client: { once(event: string, listener: (...args: any[]) => void): unknown }) =>
    new Promise<any[]>((resolve) => client.once('welcome', (...args: any[]) => resolve(args)))
  const back = Promise.all([welcomed(v4), welcomed(v2)])
  const restarted = await startNode(t, { REDIS_URL: redis.url }, a.port)
  const [[welcome4], [welcome2]] = await withDeadline(back, 10_000, 'both clients are welcomed back')
  t.not(welcome4.pid, before4.pid, 'served by the new process')
  t.equal(welcome4.pid, welcome2.pid)
  t.same((await restarted.call('announced')) as string[], [NS, NS], 'both announced again on the restarted node')
  await restarted.call('close')
})
