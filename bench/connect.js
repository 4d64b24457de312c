// Connection cost: N clients per server over M namespaces, each client its own connection, timed from
// the start of its connection to the first event its namespace sends. All the servers compared run at
// once, each in a process of its own, and the clients (another process) go to them in turn, connection
// by connection: on a shared, noisy machine the servers compared live through the same load, and the
// ratios compare like with like. Rounds repeat with fresh processes and a rotating first server.
import { spawn } from './proc.js'
import { chatName, routerVariants, serverSpec } from './servers.js'
import { pairedRatios, summary } from './stats.js'

// `metrics` is the router with socket.io-ns-router/metrics on: router ÷ metrics is what metrics cost.
const variantsOf = (generation) => [...(generation === 'v4' ? ['floor', 'regex'] : ['floor', 'regex', 'snippet']), ...routerVariants(), 'metrics']

const cpuMicros = (a, b) => b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system

async function startServer(variant, names) {
  const spec = serverSpec(variant)
  const server = await spawn('./server.js', { name: `server(${variant})`, env: spec.env })
  const { port } = await server.request('start', { variant: spec.variant, options: { names: variant === 'floor' ? names : [] } })
  return { variant, server, url: `http://127.0.0.1:${port}` }
}

async function runRound(client, generation, variants, round, { clients, namespaces, warmup, concurrency }) {
  const names = Array.from({ length: clients }, (_, i) => chatName(i % namespaces))
  // Warm-up names are distinct from the timed ones: lazy variants still create every timed namespace.
  const warmNames = Array.from({ length: warmup }, (_, i) => chatName(1_000_000 + i))
  const servers = await Promise.all(variants.map((variant) => startServer(variant, [...new Set([...names, ...warmNames])])))
  try {
    const job = { urls: servers.map((s) => s.url), first: round % servers.length, generation, concurrency }
    await client.request('connect', { ...job, names: warmNames }, 300_000)
    await client.request('closeAll')
    const before = await Promise.all(servers.map((s) => s.server.request('mark', { gc: true })))
    const run = await client.request('connect', { ...job, names }, 900_000)
    const after = await Promise.all(servers.map((s) => s.server.request('mark')))
    await client.request('closeAll')
    return {
      wallMs: run.wallMs,
      perVariant: Object.fromEntries(
        servers.map((s, i) => [
          s.variant,
          {
            serverCpuMicrosPerConnection: cpuMicros(before[i], after[i]) / clients,
            latencyP50Ms: run.perServer[i].latency.p50,
            latencyP90Ms: run.perServer[i].latency.p90,
            failures: run.perServer[i].failures,
            errors: run.perServer[i].errors,
            namespaces: after[i].namespaces,
          },
        ]),
      ),
    }
  } finally {
    await Promise.all(servers.map((s) => s.server.close()))
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
        // Each round starts the client's rotation at another server: a whole number of rotations gives
        // every server each place equally often, so that no variant's median leans on its place.
        const balanced = Math.ceil(rounds / variants.length) * variants.length
        for (let round = 0; round < balanced; round++) {
          const result = await runRound(client, generation, variants, round, { clients, namespaces: m, warmup, concurrency })
          for (const variant of variants) runs[variant].push(result.perVariant[variant])
          const line = variants.map((v) => `${v} ${result.perVariant[v].serverCpuMicrosPerConnection.toFixed(0)} µs/${result.perVariant[v].latencyP50Ms.toFixed(1)} ms`).join(', ')
          log(`connect ${generation} M=${m} round ${round + 1}/${balanced} (server CPU per connection / p50 latency): ${line}`)
        }
        const series = (variant, key) => runs[variant].map((run) => run[key])
        const perVariant = Object.fromEntries(
          variants.map((variant) => [
            variant,
            {
              serverCpuMicrosPerConnection: summary(series(variant, 'serverCpuMicrosPerConnection')),
              latencyP50Ms: summary(series(variant, 'latencyP50Ms')),
              failures: series(variant, 'failures').reduce((a, b) => a + b, 0),
              // Floor over variant, same round: above 1 means cheaper or faster than the floor.
              cpuVsFloor: summary(pairedRatios(series('floor', 'serverCpuMicrosPerConnection'), series(variant, 'serverCpuMicrosPerConnection'))),
              latencyVsFloor: summary(pairedRatios(series('floor', 'latencyP50Ms'), series(variant, 'latencyP50Ms'))),
              runs: runs[variant],
            },
          ]),
        )
        results.push({ generation, clients, namespaces: m, rounds: balanced, variants: perVariant })
      }
    } finally {
      await client.close()
    }
  }
  return results
}
