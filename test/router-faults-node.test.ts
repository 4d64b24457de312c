// A node killed with SIGKILL while the other serves on: two server processes with the router and
// @socket.io/redis-adapter (classic and sharded) on a real redis-server, real v4 clients.
import t from 'tap'
import { clientV4, connected, once } from './helpers/io.js'
import { crossNode, startNode, type NodeProcess } from './helpers/node.js'
import { startRedis } from './helpers/redis.js'

const name = (i: number) => `/category/kill/item/${i}/chat`
const params = (i: number) => ({ categoryId: 'kill', itemId: String(i) })

for (const mode of ['classic', 'sharded'] as const) {
t.test(`${mode}: a node killed with SIGKILL: the other serves on`, async (t) => {
  const redis = await startRedis(t)
  const env = { REDIS_URL: redis.url, SHARDED: mode === 'sharded' ? '1' : undefined }
  const [a, b] = (await Promise.all([1, 2].map(() => startNode(t, env)))) as [NodeProcess, NodeProcess]
  const onA = clientV4(t, a.url + name(0))
  const onB = [clientV4(t, b.url + name(0)), clientV4(t, b.url + name(0))] as const
  await Promise.all([connected(onA), ...onB.map((socket) => connected(socket))])
  await crossNode(a, onB[0], params(0))

  const gone = once(onA, 'disconnect')
  await a.kill()
  t.equal((await gone)[0], 'transport close', "the killed node's clients see 'transport close' (and reconnect to whichever node the load balancer gives them)")

  const heard = once(onB[1], 'said')
  onB[0].emit('say', 'after the kill')
  t.same(await heard, ['after the kill'], "the other node's clients keep talking")
  const news = Promise.all(onB.map((socket) => once(socket, 'news')))
  await b.call('emit', { params: params(0), event: 'news', data: 'from B' })
  t.same(await news, [['from B'], ['from B']], 'router.namespace().emit() reaches them')
  const asked = Date.now()
  t.equal(((await b.call('fetchSockets', { params: params(0) })) as string[]).length, 2, "fetchSockets() answers with the living node's sockets")
  t.comment(`fetchSockets() took ${Date.now() - asked} ms`)
  const fresh = clientV4(t, b.url + name(1))
  await connected(fresh)
  t.pass('a new namespace is created on the living node')
  await b.call('close')
})
}
