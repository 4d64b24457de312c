// Route-wide operations on socket.io 2.x with socket.io-redis 5.x, whose customRequest asks every node
// (this one too): three real server processes and a real redis-server.
import t from 'tap'
import { clientV2, connected, until } from './helpers/io.js'
import { startNode, type NodeProcess } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

type Wide = { ok?: any; error?: { code: string; message: string } }
const wide = (node: NodeProcess, args: object) => node.call<Wide>('wide', args)
const chat = (categoryId: number, itemId: number) => `/category/${categoryId}/item/${itemId}/chat`

t.test('socket.io 2.x + socket.io-redis 5.x: three nodes over customRequest', async (t) => {
  const redis = await startRedis(t)
  const [a, b, c] = (await Promise.all([1, 2, 3].map(() => startNode(t, { REDIS_URL: redis.url }, 0, 'legacy-node-server.ts')))) as [NodeProcess, NodeProcess, NodeProcess]
  const v2 = (node: NodeProcess, name: string) => clientV2(t, node.url + name, { query: 'ns=' + name })
  const clients = [v2(a, chat(1, 1)), v2(b, chat(1, 1)), v2(c, chat(2, 1))]
  await Promise.all(clients.map((socket) => connected(socket)))
  const heard: unknown[][] = clients.map(() => [])
  clients.forEach((socket, i) => socket.on('news', (data: unknown) => heard[i]!.push(data)))

  t.same((await wide(a, { op: 'count' })).ok, { nodes: 3, namespaces: 2, sockets: 3 })
  t.same((await wide(b, { op: 'names', where: { categoryId: '2' } })).ok, [chat(2, 1)])
  t.same((await wide(c, { op: 'emit', where: { categoryId: '1' }, event: 'news', data: 'one' })).ok, { nodes: 3, namespaces: 1, sockets: 2 }, 'this node is served through the hook, once')
  t.same((await wide(c, { op: 'emit', event: 'news', data: 'all' })).ok, { nodes: 3, namespaces: 2, sockets: 3 })
  await until(() => heard.every((list) => list.includes('all')), 'everyone heard the second emit')
  t.same(heard, [['one', 'all'], ['one', 'all'], ['all']])
  t.same(await a.call('custom'), [null, null, null], "the app's own customRequest still reaches socket.io-redis's hook on every node")

  c.signal('SIGSTOP')
  const frozen = await wide(a, { op: 'count', timeout: 300 })
  t.equal(frozen.error?.code, 'ERR_NODES_UNREACHABLE', 'a frozen node: the route-wide timeout')
  await c.kill()
  await until(async () => (await wide(a, { op: 'count' })).ok?.nodes === 2, 'the killed node is no longer counted')
  t.same((await wide(b, { op: 'count' })).ok, { nodes: 2, namespaces: 1, sockets: 2 })
  for (const node of [a, b]) {
    await node.call('close')
    t.equal(await node.call('hookIsOriginal'), true, "close() puts socket.io-redis's hook back")
    await node.exit()
  }
})
