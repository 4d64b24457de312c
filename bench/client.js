// Clients in a process of their own (the issue asks for it: client work must not be billed to the
// server). One socket.io-client Manager, so one engine.io connection, per socket, as real users
// have; WebSocket transport only, so the handshake is socket.io's and not long-polling's.
import { createRequire } from 'node:module'
import { io as ioV4, Manager } from 'socket.io-client'
import { serve, sleep } from './proc.js'
import { quantile } from './stats.js'

const require = createRequire(import.meta.url)
const ioV2 = require('socket.io-client-v2')

const BASE = { forceNew: true, reconnection: false, transports: ['websocket'] }
const open = new Set()
let closing = false
let dropped = 0

// Resolves, never rejects: a failure is a figure to report, not a crash.
function connectOne(url, name, generation, timeoutMs) {
  const started = performance.now()
  const options = { ...BASE, timeout: timeoutMs }
  // v2 clients send the io-handler snippet's `ns` query; v4 clients need none.
  const socket = generation === 'v2' ? ioV2(url + name, { ...options, query: `ns=${name}` }) : ioV4(url + name, options)
  open.add(socket)
  return new Promise((resolve) => {
    let settled = false
    const done = (ok, error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (ok) socket.on('disconnect', () => closing || dropped++)
      else {
        open.delete(socket)
        socket.close()
      }
      resolve({ ok, ms: performance.now() - started, error })
    }
    const timer = setTimeout(() => done(false, 'timeout'), timeoutMs)
    socket.once('welcome', () => done(true))
    socket.once('connect_error', (error) => done(false, `connect_error: ${error?.message ?? error}`))
    socket.once('error', (error) => done(false, `error: ${JSON.stringify(error)}`))
    socket.once('disconnect', (reason) => done(false, `disconnect: ${reason}`))
  })
}

/** Runs `task(i)` for i < count with at most `concurrency` in flight. */
async function pool(count, concurrency, task) {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

const churnState = { managers: [] }

async function churnOne(manager, control, name, viaControl, timeoutMs) {
  if (viaControl) {
    const matched = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      control.emit('open', name, (ok) => {
        clearTimeout(timer)
        resolve(ok)
      })
    })
    if (!matched) return false
  }
  const socket = manager.socket(name)
  const ok = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    socket.once('welcome', () => {
      clearTimeout(timer)
      resolve(true)
    })
    socket.once('connect_error', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
  socket.disconnect()
  // The Manager keeps every Socket it ever made: drop it, or the client leaks what the server must not.
  delete manager.nsps[name]
  return ok
}

const outcome = (count, latencies, errors) => ({
  count,
  ok: latencies.length,
  failures: count - latencies.length,
  errors: Object.fromEntries([...errors].slice(0, 5)),
  latency: { p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), p99: quantile(latencies, 0.99), max: quantile(latencies, 1) },
})

serve({
  /**
   * Connects a client to every name of `names` on each server of `urls` (or `url`), one server after
   * the other in turn, starting with server `first`: servers compared in one batch share whatever
   * else the machine is doing at the time. Reports each server's outcome, in the order of `urls`.
   */
  async connect({ url, urls = [url], first = 0, generation, names, concurrency = 50, timeoutMs = 20_000 }) {
    closing = false
    const results = urls.map(() => ({ latencies: [], errors: new Map() }))
    const started = performance.now()
    await pool(names.length * urls.length, concurrency, async (i) => {
      const server = (first + i) % urls.length
      const result = await connectOne(urls[server], names[Math.floor(i / urls.length)], generation, timeoutMs)
      if (result.ok) results[server].latencies.push(result.ms)
      else results[server].errors.set(result.error, (results[server].errors.get(result.error) ?? 0) + 1)
    })
    const wallMs = performance.now() - started
    const perServer = results.map(({ latencies, errors }) => outcome(names.length, latencies, errors))
    return { ...perServer[0], wallMs, perServer, memory: process.memoryUsage().rss }
  },
  /**
   * Joins every name of `names` over as few engine.io connections as `perConnection` allows (one Manager
   * each, multiplexed, as one browser tab joining many namespaces) and keeps the sockets until `closeAll`.
   */
  async joinMany({ url, names, perConnection = 100, concurrency = 50, timeoutMs = 20_000 }) {
    closing = false
    const managers = []
    let failures = 0
    await pool(names.length, concurrency, async (i) => {
      const m = Math.floor(i / perConnection)
      managers[m] ??= new Manager(url, { reconnection: false, transports: ['websocket'], timeout: timeoutMs })
      const socket = managers[m].socket(names[i])
      open.add(socket)
      const ok = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs)
        const done = (result) => {
          clearTimeout(timer)
          resolve(result)
        }
        socket.once('welcome', () => done(true))
        socket.once('connect_error', () => done(false))
      })
      if (!ok) failures++
    })
    return { count: names.length, ok: names.length - failures, failures, connections: managers.length }
  },
  status() {
    return { open: open.size, connected: [...open].filter((s) => s.connected).length, dropped }
  },
  async closeAll() {
    closing = true
    const count = open.size
    for (const socket of open) socket.close()
    open.clear()
    // Lets the close frames go out before the next job starts timing.
    await sleep(100)
    return count
  },
  async churn({ url, names, managers = 4, window = 64, viaControl = false, timeoutMs = 10_000 }) {
    while (churnState.managers.length < managers) {
      const manager = new Manager(url, { reconnection: false, transports: ['websocket'] })
      // A Manager closes its connection once none of its sockets is active: `/` keeps it open.
      const control = manager.socket('/')
      await new Promise((resolve, reject) => {
        control.once('connect', resolve)
        control.once('connect_error', reject)
      })
      churnState.managers.push({ manager, control })
    }
    let failures = 0
    const started = performance.now()
    await pool(names.length, window, async (i) => {
      const { manager, control } = churnState.managers[i % managers]
      if (!(await churnOne(manager, control, names[i], viaControl, timeoutMs))) failures++
    })
    return { count: names.length, failures, wallMs: performance.now() - started }
  },
})
