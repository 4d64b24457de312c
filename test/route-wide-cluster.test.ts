// Route-wide counts across three node:cluster workers with @socket.io/cluster-adapter, which knows
// the other workers by their heartbeats: a worker killed with SIGKILL is still expected until its
// heartbeat times out, so route-wide calls fail with ERR_NODES_UNREACHABLE until then, and count
// without it after.
import t from 'tap'
import { startCluster } from './helpers/cluster.js'
import { until } from './helpers/io.js'

t.test('three cluster workers, one killed', async (t) => {
  const { call } = await startCluster(t, { WORKERS: '3', HEARTBEAT_INTERVAL: '200', HEARTBEAT_TIMEOUT: '3000', TTL: '600000' })

  await call(0, 'make', { items: ['1', '2'] })
  await call(1, 'make', { items: ['2', '3'] })
  await call(2, 'make', { items: ['4'] })
  // The workers learn of each other from their first heartbeats.
  await until(async () => (await call(0, 'count', { timeout: 2000 })).ok?.nodes === 3, 'every worker counts the other two', 10_000)
  t.same((await call(1, 'count', { timeout: 2000 })).ok, { nodes: 3, namespaces: 4, sockets: 0 }, '4 distinct namespaces on 3 workers')

  await call(2, 'kill')
  t.equal((await call(0, 'count', { timeout: 300 })).error, 'ERR_NODES_UNREACHABLE', 'a killed worker: the route-wide timeout, while its heartbeat has not timed out')
  await until(async () => (await call(0, 'count', { timeout: 300 })).ok?.nodes === 2, "the others drop it once its heartbeat timed out", 10_000)
  t.same((await call(1, 'count', { timeout: 2000 })).ok, { nodes: 2, namespaces: 3, sockets: 0 }, 'and count without it')
})
