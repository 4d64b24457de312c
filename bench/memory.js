// Memory per live namespace (issue 13 §3): heap after GC per namespace, `count` namespaces, router against
// socket.io's own, for each adapter (in-memory; on a redis-server of its own, the classic Redis adapter and
// the sharded one in `subscriptionMode: 'static'`, the README's). On a Redis adapter, each heap read waits
// until Redis has answered every subscription made so far (redis-server.js, `settled`). Pairs, each a ratio within one round:
// - with one connected v4 client per namespace, which creates it: router ÷ `io.of(regex)`;
// - the same with one socket per namespace, 100 namespaces per engine.io connection (`×100`, multiplexed):
//   what a namespace costs when its client's connection is shared, as when one tab joins many;
// - without clients, created by server code: `router.namespace()` ÷ `io.of(name)` (static).
// Each server runs in its own process. The namespaces come in two halves, heap marked after GC after each:
// the figure is the second half's growth per namespace, what one more live namespace costs. The growth
// from a baseline taken before any namespace is kept too (`fromBaseline`): it adds what the first
// namespaces paid once, such as the code V8 compiled for them.
import { sleep, spawn } from './proc.js'
import { chatName, routerVariants, serverSpec } from './servers.js'
import { pairedRatios, roundOrder, summary } from './stats.js'
import { MEMORY_ADAPTERS, startRedis } from './redis-server.js'

// The variant a router build runs as: `candidate` is the router of the other build.
const PAIRS = [
  { label: 'one client each', baseline: 'regex', router: 'router' },
  { label: 'one socket each, 100 namespaces per connection', baseline: 'regex×100', router: 'router×100' },
  { label: 'no client', baseline: 'static', router: 'router-server' },
]

async function once(client, variant, adapter, redisUrl, names) {
  const candidate = variant.startsWith('candidate')
  const multiplexed = variant.endsWith('×100')
  const spec = serverSpec(candidate ? 'candidate' : variant)
  const run = (candidate ? variant.replace('candidate', 'router') : variant).replace('×100', '')
  const server = await spawn('./server.js', { name: `server(memory ${adapter} ${variant})`, env: spec.env })
  try {
    const { port, before, clients } = await server.request('startMemory', { variant: run, adapter, redisUrl })
    // In two halves, marked after each: the second half's growth is what one more namespace costs, without
    // what the first ones paid once (compiled code, tables' first allocations).
    const half = names.length >> 1
    let failures = 0
    const add = async (batch) => {
      await server.request('create', { names: batch })
      if (clients) {
        const url = `http://127.0.0.1:${port}`
        const options = { url, generation: 'v4', names: batch, concurrency: 50, timeoutMs: 60_000 }
        const result = await client.request(multiplexed ? 'joinMany' : 'connect', multiplexed ? { ...options, perConnection: 100 } : options, 600_000)
        failures += result.failures
      }
      return server.request('mark', { gc: true })
    }
    const middle = await add(names.slice(0, half))
    const after = await add(names.slice(half))
    if (clients) await client.request('closeAll', {}, 120_000)
    return {
      variant,
      failures,
      namespaces: after.namespaces,
      heapPerNamespaceBytes: (after.memory.heapUsed - middle.memory.heapUsed) / (names.length - half),
      heapPerNamespaceFromBaselineBytes: (after.memory.heapUsed - before.memory.heapUsed) / names.length,
    }
  } finally {
    await server.close(30_000)
  }
}

export async function runMemory({ count, rounds, adapters = MEMORY_ADAPTERS, log = () => {} }) {
  const names = Array.from({ length: count }, (_, i) => chatName(i))
  const routers = routerVariants()
  const variants = PAIRS.flatMap((pair) => [pair.baseline, ...routers.map((r) => (r === 'router' ? pair.router : pair.router.replace('router', r)))])
  const client = await spawn('./client.js', { name: 'client(memory)' })
  const redis = adapters.some((adapter) => adapter !== 'memory') ? await startRedis() : undefined
  const results = {}
  try {
    for (const adapter of adapters) {
      const runs = Object.fromEntries(variants.map((variant) => [variant, []]))
      for (let round = 0; round < rounds; round++) {
        for (const variant of roundOrder(variants, round)) {
          const run = await once(client, variant, adapter, redis?.url, names)
          runs[variant].push(run)
          log(`memory ${adapter} ${variant} round ${round + 1}/${rounds}: ${run.heapPerNamespaceBytes.toFixed(0)} B per namespace, ${run.namespaces} live, ${run.failures} failed`)
          await sleep(500)
        }
      }
      const series = (variant, key = 'heapPerNamespaceBytes') => runs[variant].map((run) => run[key])
      results[adapter] = {
        variants: Object.fromEntries(variants.map((v) => [v, { heapPerNamespaceBytes: summary(series(v)), heapPerNamespaceFromBaselineBytes: summary(series(v, 'heapPerNamespaceFromBaselineBytes')), failures: runs[v].reduce((a, r) => a + r.failures, 0), runs: runs[v] }])),
        pairs: PAIRS.flatMap((pair) =>
          routers.map((r) => {
            const router = r === 'router' ? pair.router : pair.router.replace('router', r)
            const ratio = (key) => summary(pairedRatios(series(router, key), series(pair.baseline, key)))
            return { label: pair.label, baseline: pair.baseline, router, ratio: ratio('heapPerNamespaceBytes'), fromBaseline: ratio('heapPerNamespaceFromBaselineBytes') }
          }),
        ),
      }
    }
  } finally {
    await client.close()
    redis?.stop()
  }
  return { count, rounds, adapters: results }
}
