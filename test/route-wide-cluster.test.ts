// Route-wide counts across three node:cluster workers with @socket.io/cluster-adapter, which knows
// the other workers by their heartbeats: a worker killed with SIGKILL is still expected until its
// heartbeat times out, so route-wide calls fail with ERR_NODES_UNREACHABLE until then, and count
// without it after.
import { fork } from 'node:child_process'
import t from 'tap'
import { until } from './helpers/io.js'

t.test('three cluster workers, one killed', async (t) => {
  const primary = fork(new URL('./fixtures/cluster-primary.ts', import.meta.url), {
    execArgv: process.execArgv,
    env: { ...process.env, WORKERS: '3', HEARTBEAT_INTERVAL: '200', HEARTBEAT_TIMEOUT: '3000', TTL: '600000' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  t.teardown(() => { primary.send({ cmd: 'exit' }) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the cluster did not start')), 60_000)
    primary.on('message', (message: any) => {
      if (message?.ready) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  let nextId = 0
  const call = (worker: number, cmd: string, args: object = {}) => new Promise<any>((resolve) => {
    const id = ++nextId
    const onMessage = (message: any) => {
      if (message?.id !== id) return
      primary.off('message', onMessage)
      resolve(message.result)
    }
    primary.on('message', onMessage)
    primary.send({ id, worker, cmd, ...args })
  })

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
