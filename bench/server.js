// A socket.io 4 server in a process of its own, so its CPU time and memory are its alone.
import { createServer } from 'node:http'
import { setImmediate as turn } from 'node:timers/promises'
import v8 from 'node:v8'
import { Server } from 'socket.io'
import { serve, sleep } from './proc.js'
import { memoryVariants, variants } from './servers.js'
import { useRedisAdapter } from './redis-server.js'

let io
let http
let probes = {}
// The memory case on a Redis adapter: resolves once Redis has answered everything sent so far.
let settled = async () => {}

// A full GC, then V8's memory-reducing one (it compacts fragmented pages and gives them back), so RSS
// compares what each server keeps rather than where its allocations happened to leave holes.
const collect = async () => {
  global.gc()
  await turn()
  global.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
}

serve({
  async start({ variant, options = {} }) {
    http = createServer()
    // allowEIO3 for every variant, so v2 and v4 runs compare the same server configuration.
    io = new Server(http, { allowEIO3: true, maxHttpBufferSize: 1e5 })
    await new Promise((resolve) => http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
    // The router's code is loaded before the baseline in every variant, so memory deltas hold
    // sockets and namespaces only, never module code.
    await import('./subject.js')
    const before = await this.mark({ gc: true })
    probes = await variants[variant](io, options)
    return { port: http.address().port, before }
  },
  /**
   * The memory case: a server with `adapter` ('memory'; 'redis', the classic adapter, or 'sharded-static'
   * on the redis-server at `redisUrl`), the baseline marked before the variant is installed; `create` then
   * makes the namespaces server code makes (`static`, `router-server`). Every mark after GC waits until
   * Redis has answered: what waits for its answers is not what a live namespace keeps.
   */
  async startMemory({ variant, adapter, redisUrl }) {
    http = createServer()
    io = new Server(http, { allowEIO3: true, maxHttpBufferSize: 1e5 })
    await new Promise((resolve) => http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
    if (adapter !== 'memory') settled = (await useRedisAdapter(io, redisUrl, adapter)).settled
    await import('./subject.js')
    const setup = await memoryVariants[variant](io)
    probes = { create: setup.create }
    const before = await this.mark({ gc: true })
    return { port: http.address().port, before, clients: setup.clients }
  },
  create({ names }) {
    probes.create(names)
    return names.length
  },
  async mark({ gc = false } = {}) {
    if (gc) {
      await settled()
      await collect()
    }
    return {
      at: performance.now(),
      cpu: process.cpuUsage(),
      memory: process.memoryUsage(),
      // What V8 holds per space (committed, not just used): RSS follows it, not heapUsed.
      spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }])),
      namespaces: io._nsps.size - 1,
      engineClients: io.engine.clientsCount,
      router: probes.router?.(),
      snippet: probes.snippet?.(),
    }
  },
  /** Waits until no routed namespace is left (or `ms` passed), then marks. */
  async drain({ ms = 30_000, gc = true } = {}) {
    const deadline = performance.now() + ms
    while (performance.now() < deadline && (probes.router?.().namespaces ?? 0) > 0) await sleep(20)
    return this.mark({ gc })
  },
  exit() {
    io?.close()
    http?.closeAllConnections?.()
  },
})
