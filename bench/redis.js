// Redis cost per cross-node broadcast against the number of live routed namespaces, per adapter. Two
// nodes (processes) share a real redis-server: node A holds `levels` live namespaces and one client in
// namespace 0, node B broadcasts to namespace 0. Redis CPU (`INFO cpu`, used_cpu_sys + used_cpu_user)
// is read before and after `broadcasts` broadcasts, all received by the client. In each round every
// adapter runs once (in a rotating order), with fresh processes, growing from the smallest level to the
// largest: the ratio to the smallest level is paired within its round.
import { createClient } from 'redis'
import { io as connect } from 'socket.io-client'
import { sleep, spawn } from './proc.js'
import { startRedis as startRedisServer } from './redis-server.js'
import { pairedRatios, roundOrder, summary } from './stats.js'

export const ADAPTERS = ['classic', 'sharded-dynamic', 'sharded-static', 'streams']

// A redis-server of the bench's own (redis-server.js), and a client that reads its figures.
async function startRedis() {
  const server = await startRedisServer()
  const url = server.url
  const client = createClient({ url, socket: { reconnectStrategy: false } })
  client.on('error', () => {})
  await client.connect()
  return {
    url,
    client,
    async cpuSeconds() {
      const info = String(await client.sendCommand(['INFO', 'cpu']))
      const read = (key) => Number(new RegExp(`${key}:([\\d.]+)`).exec(info)?.[1])
      return read('used_cpu_sys') + read('used_cpu_user')
    },
    async subscriptions() {
      const numpat = Number(await client.sendCommand(['PUBSUB', 'NUMPAT']))
      const channels = (await client.sendCommand(['PUBSUB', 'CHANNELS'])).length
      const shard = (await client.sendCommand(['PUBSUB', 'SHARDCHANNELS'])).length
      return numpat + channels + shard
    },
    async close() {
      await client.quit().catch(() => {})
      server.stop()
    },
  }
}

// Subscriptions land asynchronously: wait until at least `least` are there and two reads agree.
async function settled(redis, least) {
  let last = -1
  for (let attempt = 0; attempt < 600; attempt++) {
    const now = await redis.subscriptions()
    if (now >= least && now === last) return now
    last = now
    await sleep(100)
  }
  throw new Error(`subscriptions did not settle (${last}, expected at least ${least})`)
}

async function adapterOnce(adapter, { levels, broadcasts, samples, log }) {
  const redis = await startRedis()
  const nodes = []
  try {
    for (const name of ['A', 'B']) {
      const node = await spawn('./redis-node.js', { name: `node ${name} (redis ${adapter})` })
      nodes.push(node)
      node.port = (await node.request('start', { adapter, url: redis.url })).port
    }
    const [a, b] = nodes
    const client = connect(`http://127.0.0.1:${a.port}/category/live/item/0/chat`, { forceNew: true, reconnection: false, transports: ['websocket'] })
    let received = 0
    client.on('news', () => { received++ })
    await new Promise((resolve, reject) => {
      client.once('connect', resolve)
      client.once('connect_error', reject)
    })
    const perLevel = {}
    try {
      for (const level of levels) {
        await a.request('live', { count: level }, 300_000)
        await settled(redis, level)
        const costs = []
        for (let sample = 0; sample < samples; sample++) {
          const expected = received + broadcasts
          const before = await redis.cpuSeconds()
          await b.request('broadcast', { count: broadcasts, target: 0 })
          const deadline = Date.now() + 120_000
          while (received < expected && Date.now() < deadline) await sleep(5)
          if (received < expected) throw new Error(`${adapter} at ${level}: ${expected - received} broadcasts never arrived`)
          costs.push(((await redis.cpuSeconds()) - before) / broadcasts * 1e6)
        }
        perLevel[level] = summary(costs).median
        log(`redis ${adapter}, ${level} live namespaces: ${perLevel[level].toFixed(1)} µs Redis CPU per broadcast`)
      }
    } finally {
      client.close()
    }
    return perLevel
  } finally {
    await Promise.all(nodes.map((node) => node.close()))
    await redis.close()
  }
}

export async function runRedis({ levels, broadcasts, samples, rounds, adapters = ADAPTERS, log = () => {} }) {
  const runs = Object.fromEntries(adapters.map((adapter) => [adapter, []]))
  for (let round = 0; round < rounds; round++) {
    for (const adapter of roundOrder(adapters, round)) runs[adapter].push(await adapterOnce(adapter, { levels, broadcasts, samples, log }))
  }
  const base = levels[0]
  const perAdapter = Object.fromEntries(adapters.map((adapter) => {
    const series = (level) => runs[adapter].map((run) => run[level])
    return [adapter, {
      microsPerBroadcast: Object.fromEntries(levels.map((level) => [level, summary(series(level))])),
      ratioToBase: Object.fromEntries(levels.map((level) => [level, summary(pairedRatios(series(level), series(base)))])),
      runs: runs[adapter],
    }]
  }))
  return { levels, broadcasts, samples, rounds, adapters: perAdapter }
}
