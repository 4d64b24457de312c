// A real redis-server on 127.0.0.1 and a free port, for the scale-out tests. A missing binary is a
// failure with instructions, never a skip: CI installs the Debian package `redis-server`.
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import type { Test } from 'tap'
import { createClient } from 'redis'
import { until } from './io.js'

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/** Subscriptions as Redis sees them (see `RedisServer.subscriptions`). */
export interface Subscriptions {
  patterns: number
  numpat: number
  channels: string[]
  shardChannels: string[]
}

export interface RedisServer {
  url: string
  /** A connected client for inspection (PUBSUB NUMPAT, PUBSUB CHANNELS); a new one after `restart()`. */
  readonly client: ReturnType<typeof createClient>
  /** Stops redis-server with SIGSTOP: commands sent to it wait, unanswered, until it is killed. */
  freeze(): void
  /** Kills redis-server with SIGKILL, as a crash would, and resolves once it has exited. */
  kill(): Promise<void>
  /** Starts redis-server again on the same port (empty: nothing is saved) and resolves once it answers. */
  restart(): Promise<void>
  /**
   * Subscriptions as Redis sees them: `patterns`, the pattern subscriptions of every connection added
   * up (CLIENT LIST psub=), `numpat`, the distinct patterns (PUBSUB NUMPAT), and `channels`, the
   * subscribed channels whose name mentions `text` (PUBSUB CHANNELS), and `shardChannels`, the same for
   * sharded Pub/Sub (PUBSUB SHARDCHANNELS). With `expected`, reads until they are that (Redis hears an
   * unsubscription some time after the adapter is closed), or 10 s have passed; the last reading either way.
   */
  subscriptions(text: string, expected?: Subscriptions): Promise<Subscriptions>
}

export async function startRedis(t: Test): Promise<RedisServer> {
  const binary = process.env.REDIS_SERVER ?? 'redis-server'
  if (spawnSync(binary, ['--version']).error) {
    throw new Error(`${binary} not found: these tests need a real Redis. Install the Debian package redis-server (apt-get install redis-server; npm test does it when run as root).`)
  }
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let server: ReturnType<typeof spawn>
  let client: ReturnType<typeof createClient>
  const start = async () => {
    const started = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    server = started
    t.teardown(() => { started.kill('SIGKILL') })
    client = createClient({ url, socket: { reconnectStrategy: false } })
    client.on('error', () => {})
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect()
        break
      } catch (error) {
        if (attempt > 50) throw new Error(`redis-server did not start on port ${port}: ${String(error)}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    const inspecting = client
    t.teardown(() => inspecting.quit().catch(() => {}))
  }
  await start()
  return {
    url,
    get client() { return client },
    freeze() { server.kill('SIGSTOP') },
    kill() {
      return new Promise((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolve()
        server.once('exit', () => resolve())
        server.kill('SIGKILL')
      })
    },
    restart: start,
    async subscriptions(text, expected) {
      if (expected) {
        let now = await read(text)
        await until(async () => JSON.stringify(now = await read(text)) === JSON.stringify(expected), 'Redis reports the expected subscriptions', 10_000).catch(() => {})
        return now
      }
      // Adapters subscribe and unsubscribe asynchronously: read until two reads 50 ms apart agree.
      let last = ''
      for (let attempt = 0; attempt < 40; attempt++) {
        const now = JSON.stringify(await read(text))
        if (now === last) break
        last = now
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return JSON.parse(last)
    },
  }

  async function read(text: string) {
    const list = String(await client.sendCommand(['CLIENT', 'LIST']))
    const patterns = [...list.matchAll(/ psub=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
    const numpat = Number(await client.sendCommand(['PUBSUB', 'NUMPAT']))
    const channels = ((await client.sendCommand(['PUBSUB', 'CHANNELS', `*${text}*`])) as string[]).sort()
    const shardChannels = ((await client.sendCommand(['PUBSUB', 'SHARDCHANNELS', `*${text}*`])) as string[]).sort()
    return { patterns, numpat, channels, shardChannels }
  }
}
