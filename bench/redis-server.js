// A redis-server of the bench's own on a free port (no persistence), and a Redis adapter of
// @socket.io/redis-adapter on node-redis v4 clients, as the README sets it up.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import { sleep } from './proc.js'

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

/** Starts redis-server (REDIS_SERVER or the one on PATH); `stop()` kills it by its own pid. */
export async function startRedis() {
  const port = await freePort()
  const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const stop = () => {
    process.removeListener('exit', stop)
    child.kill('SIGKILL')
  }
  process.on('exit', stop)
  const url = `redis://127.0.0.1:${port}`
  const probe = createClient({ url, socket: { reconnectStrategy: false } })
  probe.on('error', () => {})
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.connect()
      break
    } catch (error) {
      if (attempt > 100) throw new Error(`redis-server did not start on port ${port}: ${error}`)
      await sleep(100)
    }
  }
  await probe.quit()
  return { url, stop }
}

/** The adapters the memory case can put on a server: the classic one, and the README's sharded one. */
export const MEMORY_ADAPTERS = ['memory', 'redis', 'sharded-static']

/**
 * Puts a Redis adapter on `io` (before any namespace but `/` exists): `redis`, the classic `createAdapter`,
 * or `sharded-static`, `createShardedAdapter` with `subscriptionMode: 'static'` (the README's setup).
 * Returns `settled()`, which resolves once Redis has answered every command sent so far, and `close()`.
 */
export async function useRedisAdapter(io, url, kind = 'redis') {
  const pub = createClient({ url })
  const sub = pub.duplicate()
  pub.on('error', () => {})
  sub.on('error', () => {})
  // The adapter adds an `error` listener to both clients per namespace (README, "Running several nodes").
  pub.setMaxListeners(0)
  sub.setMaxListeners(0)
  await Promise.all([pub.connect(), sub.connect()])
  if (kind === 'sharded-static') io.adapter(createShardedAdapter(pub, sub, { subscriptionMode: 'static' }))
  else if (kind === 'redis') io.adapter(createAdapter(pub, sub))
  else throw new Error(`unknown Redis adapter ${kind}`)
  return { settled: () => settled(sub), close: () => Promise.all([pub.quit(), sub.quit()]).catch(() => {}) }
}

// A new namespace's adapter subscribes, and the router waits for Redis to confirm it (a chain of commands
// sent one after another's answer), each with promises and a timer pending until Redis answers: a heap
// read meanwhile counts them as if a live namespace kept them. Redis answers a connection's commands in
// order, so the answer to a SUBSCRIBE sent now comes after every command sent before it; commands sent on
// those answers come after it, so this goes on until a round trip leaves the count of pending timers
// (the router's bound on each confirmation) where it was.
const BARRIER = 'bench#barrier'
async function settled(sub) {
  const listener = () => {}
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
  for (let round = 0, before = timers(); ; round++) {
    await sub.subscribe(BARRIER, listener)
    await sub.unsubscribe(BARRIER, listener)
    await new Promise(setImmediate)
    const after = timers()
    if ((after === before && round > 0) || round > 50) return
    before = after
  }
}
