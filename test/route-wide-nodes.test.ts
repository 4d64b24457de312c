// Route-wide operations across three server processes with @socket.io/redis-adapter, classic and
// sharded, and a real redis-server: counts, names and emits that reach every node, and what happens when a node freezes
// or dies.
import t from 'tap'
import { clientV2, clientV4, connected, until, type AnyClientSocket } from './helpers/io.js'
import { madeProgress, startNode, type NodeProcess } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

// Each test starts its own redis-server and node processes: tap's limit bounds each test, not their sum.
t.beforeEach(madeProgress)

type Wide = { ok?: any; error?: { code: string; message: string } }
const wide = (node: NodeProcess, args: object) => node.call<Wide>('wide', args)
const chat = (categoryId: number, itemId: number) => `/category/${categoryId}/item/${itemId}/chat`

for (const adapter of ['classic', 'sharded'] as const) t.test(`three nodes, ${adapter} Redis adapter: count, names and emit reach every live namespace of the route on every node`, async (t) => {
  const redis = await startRedis(t)
  const classic = adapter === 'classic'
  // The classic adapter of node A gives up on other nodes after 300 ms; the others wait 5 s (the
  // sharded adapter's delay cannot be set).
  const [a, b, c] = (await Promise.all([{ REQUESTS_TIMEOUT: '300' }, {}, {}].map((env) => startNode(t, { REDIS_URL: redis.url, ADAPTER: adapter, ...env })))) as [NodeProcess, NodeProcess, NodeProcess]
  // chat 1/1 on A and B (one namespace live on two nodes), chat 1/2 on C, chat 2/3 on B, board x on A.
  const clients: Record<string, AnyClientSocket> = {
    a11: clientV4(t, a.url + chat(1, 1)),
    b11: clientV2(t, b.url + chat(1, 1), { query: 'ns=' + chat(1, 1) }),
    c12: clientV4(t, c.url + chat(1, 2)),
    b23: clientV4(t, b.url + chat(2, 3)),
    board: clientV4(t, a.url + '/board/x'),
  }
  const heard: Record<string, unknown[]> = {}
  for (const [key, socket] of Object.entries(clients)) {
    heard[key] = []
    socket.on('news', (data: unknown) => heard[key]!.push(data))
  }
  await Promise.all(Object.values(clients).map((socket) => connected(socket)))

  t.same((await wide(a, { op: 'count' })).ok, { nodes: 3, namespaces: 3, sockets: 4 }, 'every node answers: 3 distinct namespaces, 4 sockets')
  t.same((await wide(b, { op: 'count', where: { categoryId: '1' } })).ok, { nodes: 3, namespaces: 2, sockets: 3 }, 'where: only category 1')
  t.same((await wide(c, { op: 'count', where: { categoryId: '1', itemId: '2' } })).ok, { nodes: 3, namespaces: 1, sockets: 1 })
  t.same((await wide(c, { op: 'names' })).ok, [chat(1, 1), chat(1, 2), chat(2, 3)], 'names, sorted, each once, from a node that holds one')
  t.same((await wide(b, { route: 'board', op: 'names' })).ok, ['/board/x'], 'each route its own')
  t.same((await wide(c, { route: 'board', op: 'count', where: { boardId: 'y' } })).ok, { nodes: 3, namespaces: 0, sockets: 0 })

  const sent = await wide(c, { op: 'emit', where: { categoryId: '1' }, event: 'news', data: 'category 1' })
  t.same(sent.ok, { nodes: 3, namespaces: 2, sockets: 3 }, 'emit reports what it reached')
  // Every node emitted before it answered: an emit to all that everyone hears comes after the first.
  t.same((await wide(b, { op: 'emit', event: 'news', data: 'all' })).ok, { nodes: 3, namespaces: 3, sockets: 4 })
  const everyone = ['a11', 'b11', 'c12', 'b23']
  await until(() => everyone.every((key) => heard[key]!.includes('all')), 'every chat client heard the second emit')
  t.same(heard, { a11: ['category 1', 'all'], b11: ['category 1', 'all'], c12: ['category 1', 'all'], b23: ['all'], board: [] }, 'once each, and only the matching namespaces')

  const raw = (node: NodeProcess, payload: unknown, ack = true) => node.call<{ error: string | null; replies: unknown[] }>('raw', { payload, ack })
  const empty = { names: [], sockets: 0 }
  t.same(await raw(a, { v: 2, route: 'chat' }), { error: null, replies: [empty, empty] }, 'a request of another version is answered with nothing')
  const reserved = await raw(a, { v: 1, op: 'emit', route: 'chat', where: {}, event: 'connect', args: [] })
  t.same(reserved, { error: null, replies: [empty, empty] }, 'an emit socket.io refuses (a reserved name) fails on each node, which still answers')
  t.equal(await raw(a, { v: 1, op: 'count', route: 'chat', where: {} }, false), true, 'a request without an ack is served and not answered')
  t.same((await wide(a, { op: 'count' })).ok, { nodes: 3, namespaces: 3, sockets: 4 }, 'and every node is still there')

  // A frozen node keeps its Redis connection, so Redis still counts it, but it answers nothing.
  c.signal('SIGSTOP')
  const frozen = await wide(b, { op: 'count', timeout: 300 })
  t.equal(frozen.error?.code, 'ERR_NODES_UNREACHABLE', 'the route-wide timeout: a clear error')
  t.match(frozen.error?.message, /route-wide count on route chat: not every node answered within 300 ms \(no answer within 300 ms\)/)
  if (classic) {
    const viaAdapter = await wide(a, { op: 'names' })
    t.equal(viaAdapter.error?.code, 'ERR_NODES_UNREACHABLE', "the adapter's own timeout, when it is the shorter one: the same error")
    t.match(viaAdapter.error?.message, /timeout reached: only 1 responses received out of 2/)
  }
  const partly = await wide(a, { op: 'emit', event: 'news', data: 'while C is frozen', timeout: 2000 })
  t.equal(partly.error?.code, 'ERR_NODES_UNREACHABLE', 'an emit that not every node confirmed fails too')
  await until(() => heard.a11!.includes('while C is frozen') && heard.b11!.includes('while C is frozen'), 'what the others emitted is not undone')

  // Thawed, C answers what it missed (too late: those calls have failed already) and is counted again.
  c.signal('SIGCONT')
  await until(() => heard.c12!.includes('while C is frozen'), 'C emits what it was asked while frozen')
  t.same((await wide(a, { op: 'count' })).ok, { nodes: 3, namespaces: 3, sockets: 4 }, 'a node that comes back is counted again')
  c.signal('SIGSTOP')

  if (classic) {
    // A node killed while a request waits on it: the request times out. The request is seen going out
    // (a pattern subscription, which PUBSUB NUMSUB does not count) before the kill, so it was sent
    // counting C. (The sharded adapter publishes with SPUBLISH, which only a counted SSUBSCRIBE sees.)
    const spy = redis.client.duplicate()
    await spy.connect()
    t.teardown(() => spy.quit().catch(() => {}))
    let seen!: () => void
    const sentOut = new Promise<void>((resolve) => { seen = resolve })
    await spy.pSubscribe('socket.io-request#/#', (message) => { if (message.includes('"route":"board"')) seen() })
    const killedMidway = wide(b, { route: 'board', op: 'count', timeout: 2000 })
    await sentOut
    await c.kill()
    t.equal((await killedMidway).error?.code, 'ERR_NODES_UNREACHABLE')
  } else await c.kill()
  // Once Redis dropped its connection, the others count without it.
  await until(async () => (await wide(a, { op: 'count' })).ok?.nodes === 2, 'the killed node is no longer counted')
  t.same((await wide(b, { op: 'count' })).ok, { nodes: 2, namespaces: 2, sockets: 3 }, 'its namespaces and sockets are gone from the counts')
  for (const node of [a, b]) {
    await node.call('close')
    await node.exit()
  }
})
