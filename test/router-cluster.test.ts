// node:cluster workers behind @socket.io/sticky, with @socket.io/cluster-adapter and the router.
import t from 'tap'
import { startCluster } from './helpers/cluster.js'
import { clientV2, clientV4, connected, once } from './helpers/io.js'

const NS = '/category/1/item/2/chat'

t.test('the cluster adapter across workers', async (t) => {
  const { port, call } = await startCluster(t)

  t.test('a broadcast reaches a client on the other worker', async (t) => {
    const url = `http://127.0.0.1:${port}`
    // Long-polling first, as browsers start: @socket.io/sticky keeps each session on its worker.
    const a = clientV4(t, url + NS, { transports: ['polling', 'websocket'] })
    const welcomeA = once(a, 'welcome')
    await connected(a)
    const b = clientV2(t, url + NS, { query: 'ns=' + NS, transports: ['polling', 'websocket'] })
    const welcomeB = once(b, 'welcome')
    const [[first], [second]] = await Promise.all([welcomeA, welcomeB])
    t.not(first.pid, second.pid, 'round-robin put the two clients on different workers')
    const heard = once(b, 'said')
    a.emit('say', 'across workers')
    t.same(await heard, ['across workers'])
    const back = once(a, 'said')
    b.emit('say', 'and back')
    t.same(await back, ['and back'])
  })

  t.test("creating and removing namespaces does not pile up process 'message' listeners", async (t) => {
    // @socket.io/cluster-adapter 0.3 adds a process listener per namespace and its close() leaves it:
    // the router removes what an adapter added to process when it removes the namespace.
    const result = await call(0, 'churn', { rounds: 50 })
    t.equal(result.removed >= 50, true, `${result.removed} namespaces removed`)
    t.equal(result.peak, result.before + 1, 'one listener while a namespace lives')
    t.equal(result.after, result.before, 'none left after they are gone')
  })
})
