// Namespace churn: real clients create a namespace, get its first event and leave, `count` times.
// The router (emptyNamespaceTtlMs 0) must end with no namespace and a flat heap; the io-handler snippet keeps them
// all. Heap and RSS are read in the server process after forced GCs, at checkpoints along the way.
import { spawn } from './proc.js'
import { chatName, routerVariants, serverSpec } from './servers.js'
import { roundOrder } from './stats.js'

const MB = 1024 * 1024

async function churnOnce(variant, { count, checkpoints, managers, window, warmup }, log) {
  const spec = serverSpec(variant)
  const server = await spawn('./server.js', { name: `server(churn ${variant})`, env: spec.env })
  const client = await spawn('./client.js', { name: 'client(churn)' })
  try {
    // Large enough that the cap never refuses: only the window of sockets in flight is ever live.
    const { port } = await server.request('start', { variant: spec.variant, options: { ttl: 0, maxNamespaces: 1_000_000 } })
    // The snippet disconnects a `/` socket without a routable `ns`: give the control sockets one.
    const url = `http://127.0.0.1:${port}?ns=${chatName(0)}`
    const job = { url, managers, window, viaControl: variant === 'snippet' }
    // Warm-up with names of their own, so the baseline has the JIT, the connections and pools in place.
    await client.request('churn', { ...job, names: Array.from({ length: warmup }, (_, i) => chatName(10_000_000 + i)) }, 300_000)
    const before = await server.request('drain', { gc: true })
    const points = [{ done: 0, heapUsed: before.memory.heapUsed, rss: before.memory.rss, namespaces: before.namespaces }]
    let failures = 0
    let wallMs = 0
    const step = Math.ceil(count / checkpoints)
    for (let done = 0; done < count; ) {
      const names = Array.from({ length: Math.min(step, count - done) }, (_, i) => chatName(done + i + 1))
      const run = await client.request('churn', { ...job, names }, 600_000)
      done += names.length
      failures += run.failures
      wallMs += run.wallMs
      const mark = await server.request('drain', { gc: true })
      points.push({ done, heapUsed: mark.memory.heapUsed, rss: mark.memory.rss, namespaces: mark.namespaces })
      log(`churn ${variant}: ${done}/${count}, ${mark.namespaces} live, heap ${(mark.memory.heapUsed / MB).toFixed(1)} MB, rss ${(mark.memory.rss / MB).toFixed(1)} MB`)
    }
    const after = await server.request('drain', { gc: true })
    return {
      variant,
      count,
      failures,
      wallMs,
      namespacesPerSecond: (count / wallMs) * 1000,
      liveNamespacesAfter: after.namespaces,
      routerStats: after.router,
      snippetCreated: after.snippet?.created,
      heapGrowthMB: (after.memory.heapUsed - before.memory.heapUsed) / MB,
      rssGrowthMB: (after.memory.rss - before.memory.rss) / MB,
      before: before.memory,
      after: after.memory,
      points,
    }
  } finally {
    await client.close()
    await server.close()
  }
}

export async function runChurn({ rounds, log = () => {}, ...sizes }) {
  const variants = [...routerVariants(), 'snippet']
  const runs = Object.fromEntries(variants.map((variant) => [variant, []]))
  for (let round = 0; round < rounds; round++) {
    for (const variant of roundOrder(variants, round)) runs[variant].push(await churnOnce(variant, sizes, log))
  }
  return { ...sizes, rounds, runs }
}
