// Connection cost: N clients (each its own engine.io connection) over M namespaces, clients in a
// child process, one fresh server process per measurement. Each server variant runs once per
// round, in a rotating order, and is compared with the floor of the same round.
import { spawn } from './proc.js'
import { chatName, routerVariants, serverSpec } from './servers.js'
import { pairedRatios, roundOrder, summary } from './stats.js'

const variantsOf = (generation) => [...(generation === 'v4' ? ['floor', 'regex'] : ['floor', 'regex', 'seed']), ...routerVariants()]

const cpuMicros = (a, b) => b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system

async function measure(client, generation, variant, { clients, namespaces, warmup, concurrency }) {
  const names = Array.from({ length: clients }, (_, i) => chatName(i % namespaces))
  // Warm-up names are distinct from the timed ones: lazy variants still create every timed namespace.
  const warmNames = Array.from({ length: warmup }, (_, i) => chatName(1_000_000 + i))
  const spec = serverSpec(variant)
  const server = await spawn('./server.js', { name: `server(${variant})`, env: spec.env })
  try {
    const floorNames = variant === 'floor' ? [...new Set([...names, ...warmNames])] : []
    const { port } = await server.request('start', { variant: spec.variant, options: { names: floorNames } })
    const url = `http://127.0.0.1:${port}`
    const job = { url, generation, concurrency }
    await client.request('connect', { ...job, names: warmNames }, 120_000)
    await client.request('closeAll')
    const before = await server.request('mark', { gc: true })
    const run = await client.request('connect', { ...job, names }, 300_000)
    const after = await server.request('mark')
    await client.request('closeAll')
    return {
      wallMs: run.wallMs,
      connectionsPerSecond: (run.ok / run.wallMs) * 1000,
      serverCpuMicrosPerConnection: cpuMicros(before, after) / clients,
      latencyP50Ms: run.latency.p50,
      latencyP90Ms: run.latency.p90,
      failures: run.failures,
      errors: run.errors,
      namespaces: after.namespaces,
    }
  } finally {
    await server.close()
  }
}

export async function runConnect({ generations = ['v4', 'v2'], clients, namespaces, rounds, warmup, concurrency, log = () => {} }) {
  const results = []
  for (const generation of generations) {
    const client = await spawn('./client.js', { name: `client(${generation})` })
    try {
      for (const m of namespaces) {
        const variants = variantsOf(generation)
        const runs = Object.fromEntries(variants.map((v) => [v, []]))
        for (let round = 0; round < rounds; round++) {
          for (const variant of roundOrder(variants, round)) {
            const run = await measure(client, generation, variant, { clients, namespaces: m, warmup, concurrency })
            runs[variant].push(run)
            log(`connect ${generation} M=${m} round ${round + 1}/${rounds} ${variant}: ${run.connectionsPerSecond.toFixed(0)}/s, ${run.serverCpuMicrosPerConnection.toFixed(0)} µs server CPU/conn, ${run.failures} failed`)
          }
        }
        const series = (variant, key) => runs[variant].map((run) => run[key])
        const perVariant = Object.fromEntries(
          variants.map((variant) => [
            variant,
            {
              connectionsPerSecond: summary(series(variant, 'connectionsPerSecond')),
              serverCpuMicrosPerConnection: summary(series(variant, 'serverCpuMicrosPerConnection')),
              latencyP50Ms: summary(series(variant, 'latencyP50Ms')),
              failures: series(variant, 'failures').reduce((a, b) => a + b, 0),
              // Paired with the floor of the same round; above 1 means faster than the floor.
              throughputVsFloor: summary(pairedRatios(series(variant, 'connectionsPerSecond'), series('floor', 'connectionsPerSecond'))),
              cpuVsFloor: summary(pairedRatios(series('floor', 'serverCpuMicrosPerConnection'), series(variant, 'serverCpuMicrosPerConnection'))),
              runs: runs[variant],
            },
          ]),
        )
        results.push({ generation, clients, namespaces: m, rounds, variants: perVariant })
      }
    } finally {
      await client.close()
    }
  }
  return results
}
