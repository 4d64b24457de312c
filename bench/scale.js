// Scale: `sockets` concurrent clients over `namespaces` namespaces, floor against router, in
// alternating rounds. Clients are spread over several processes: one process cannot open 10,000
// connections quickly, and each stays well under `ulimit -n` (the server holds one descriptor per
// socket, so the limit must exceed `sockets` plus a margin; run.js checks it).
import { sleep, spawn } from './proc.js'
import { chatName, routerVariants, serverSpec } from './servers.js'
import { pairedRatios, roundOrder, summary } from './stats.js'

async function scaleOnce(clients, variant, { sockets, namespaces, concurrency, holdMs }) {
  const names = Array.from({ length: namespaces }, (_, i) => chatName(i))
  const spec = serverSpec(variant)
  const server = await spawn('./server.js', { name: `server(scale ${variant})`, env: spec.env })
  try {
    const { port, before } = await server.request('start', { variant: spec.variant, options: { names: variant === 'floor' ? names : [], maxNamespaces: namespaces } })
    const url = `http://127.0.0.1:${port}`
    const started = performance.now()
    const shares = clients.map((client, p) =>
      client.request(
        'connect',
        { url, generation: 'v4', concurrency, timeoutMs: 60_000, names: Array.from({ length: Math.ceil((sockets - p) / clients.length) }, (_, j) => names[(p + j * clients.length) % namespaces]) },
        600_000,
      ),
    )
    const runs = await Promise.all(shares)
    const connectMs = performance.now() - started
    // Held for a while: sockets that drop after connecting count as failures too.
    await sleep(holdMs)
    const after = await server.request('mark', { gc: true })
    const status = await Promise.all(clients.map((client) => client.request('status')))
    await Promise.all(clients.map((client) => client.request('closeAll', {}, 120_000)))
    const connected = runs.reduce((sum, run) => sum + run.ok, 0)
    const dropped = status.reduce((sum, s) => sum + s.dropped, 0)
    return {
      variant,
      sockets,
      connected,
      failures: sockets - connected + dropped,
      errors: runs.map((run) => run.errors),
      serverSockets: after.engineClients,
      namespaces: after.namespaces,
      connectMs,
      rssPerSocketBytes: (after.memory.rss - before.memory.rss) / connected,
      heapPerSocketBytes: (after.memory.heapUsed - before.memory.heapUsed) / connected,
      // RSS follows the heap V8 has committed (used plus free slots in its pages), not heapUsed alone.
      heapCommittedPerSocketBytes: (after.memory.heapTotal - before.memory.heapTotal) / connected,
      rssMB: after.memory.rss / 2 ** 20,
      clientRssMB: runs.map((run) => run.memory / 2 ** 20),
    }
  } finally {
    await server.close(30_000)
  }
}

export async function runScale({ sockets, namespaces, processes, concurrency, rounds, holdMs, log = () => {} }) {
  const variants = ['floor', ...routerVariants()]
  const clients = await Promise.all(Array.from({ length: processes }, (_, p) => spawn('./client.js', { name: `client(scale ${p})` })))
  const runs = Object.fromEntries(variants.map((variant) => [variant, []]))
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of roundOrder(variants, round)) {
        const run = await scaleOnce(clients, variant, { sockets, namespaces, concurrency, holdMs })
        runs[variant].push(run)
        log(`scale ${variant} round ${round + 1}/${rounds}: ${run.connected}/${sockets} in ${(run.connectMs / 1000).toFixed(1)} s, ${run.failures} failed, ${(run.rssPerSocketBytes / 1024).toFixed(1)} KB RSS/socket`)
        // Lets the kernel and the clients settle the closed connections before the next round.
        await sleep(1000)
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()))
  }
  const series = (variant, key) => runs[variant].map((run) => run[key])
  const perVariant = Object.fromEntries(
    variants.map((variant) => [
      variant,
      {
        connectMs: summary(series(variant, 'connectMs')),
        rssPerSocketBytes: summary(series(variant, 'rssPerSocketBytes')),
        heapPerSocketBytes: summary(series(variant, 'heapPerSocketBytes')),
        failures: series(variant, 'failures').reduce((a, b) => a + b, 0),
        // Over the floor of the same round: at most 1.05 is the target for RSS.
        rssRatio: summary(pairedRatios(series(variant, 'rssPerSocketBytes'), series('floor', 'rssPerSocketBytes'))),
        heapRatio: summary(pairedRatios(series(variant, 'heapPerSocketBytes'), series('floor', 'heapPerSocketBytes'))),
        connectTimeRatio: summary(pairedRatios(series(variant, 'connectMs'), series('floor', 'connectMs'))),
        runs: runs[variant],
      },
    ]),
  )
  return { sockets, namespaces, processes, rounds, variants: perVariant }
}
