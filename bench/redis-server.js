// A redis-server of the bench's own on a free port (no persistence), and the classic Redis adapter
// (`createAdapter` of @socket.io/redis-adapter on node-redis v4 clients, as the README sets it up).
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createAdapter } from '@socket.io/redis-adapter'
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

/** Puts the classic Redis adapter on `io` (before any namespace but `/` exists). */
export async function useRedisAdapter(io, url) {
  const pub = createClient({ url })
  const sub = pub.duplicate()
  pub.on('error', () => {})
  sub.on('error', () => {})
  // The adapter adds an `error` listener to both clients per namespace (README, "Running several nodes").
  pub.setMaxListeners(0)
  sub.setMaxListeners(0)
  await Promise.all([pub.connect(), sub.connect()])
  io.adapter(createAdapter(pub, sub))
  return () => Promise.all([pub.quit(), sub.quit()]).catch(() => {})
}
