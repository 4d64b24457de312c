// node bench/profile.js [variant=router] [v4|v2] [clients=3000] [namespaces=100]
// (NS_ROUTER_BENCH_DIST=DIR profiles another build of dist/esm.)
// Profiles one server variant under the connection benchmark's load (--cpu-prof in the server
// process) and prints where its CPU time went: by package, and the router's own functions.
// Profiles are written to bench/results/profiles/ (not checked in).
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawn } from './proc.js'
import { chatName } from './servers.js'
import { snapshotDist } from './snapshot.js'

const [variant = 'router', generation = 'v4', clients = '3000', namespaces = '100'] = process.argv.slice(2)
const dir = fileURLToPath(new URL(`./results/profiles/${variant}-${generation}/`, import.meta.url))
rmSync(dir, { recursive: true, force: true })
process.env.NS_ROUTER_BENCH_DIST ??= await snapshotDist()

// Fresh names every round, so lazy variants create `namespaces` namespaces in each.
const namesOf = (round) => Array.from({ length: Number(clients) }, (_, i) => chatName(round * Number(namespaces) + (i % Number(namespaces))))
const client = await spawn('./client.js', { name: 'client' })
const server = await spawn('./server.js', { name: 'server', execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'] })
const { port } = await server.request('start', { variant, options: { names: variant === 'floor' ? [0, 1, 2].flatMap(namesOf) : [] } })
const job = { url: `http://127.0.0.1:${port}`, generation, concurrency: 50 }
for (let round = 0; round < 3; round++) {
  const run = await client.request('connect', { ...job, names: namesOf(round) }, 300_000)
  await client.request('closeAll')
  console.error(`round ${round + 1}: ${run.ok}/${clients} connected, ${((run.ok / run.wallMs) * 1000).toFixed(0)}/s`)
}
await server.close(30_000)
await client.close()

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
const profile = JSON.parse(readFileSync(dir + file, 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const hits = new Map()
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
const total = profile.samples.length
const byPackage = new Map()
const byFunction = new Map()
const routerFunctions = new Set()
const packageOf = (url) => {
  if (!url) return '(native / GC / idle)'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  if (url.includes('/bench/.snapshot/') || url.includes('/dist/')) return 'socket.io-ns-router'
  return url.startsWith('node:') ? 'node internals' : url.replace(/^.*\/bench\//, 'bench/')
}
for (const [id, count] of hits) {
  const { callFrame } = nodes.get(id)
  if (callFrame.functionName === '(idle)') continue
  const pkg = packageOf(callFrame.url)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count)
  const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^.*\/(node_modules|esm)\//, '')}:${callFrame.lineNumber + 1}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + count)
  if (pkg === 'socket.io-ns-router') routerFunctions.add(key)
}
const busy = [...byPackage.values()].reduce((a, b) => a + b, 0)
// Inclusive: samples with a router frame on the stack, minus what the benchmark's own handler
// (the `welcome` emit, which every variant does) spent below it.
const parents = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
let underRouter = 0
for (const [id, count] of hits) {
  let routerSeen = false
  let welcome = false
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const { url } = nodes.get(at).callFrame
    if (url.endsWith('/bench/servers.js') && !routerSeen) welcome = true
    if (packageOf(url) === 'socket.io-ns-router') routerSeen = true
  }
  if (routerSeen && !welcome) underRouter += count
}
const pct = (n) => `${((n / busy) * 100).toFixed(1).padStart(5)}%`
console.log(`${variant}, ${generation} clients: ${busy} busy samples of ${total} (self time, share of busy time)`)
console.log(`  ${pct(underRouter)}  with a router function on the stack (inclusive, the benchmark's handler excluded)`)
for (const [pkg, count] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${pct(count)}  ${pkg}`)
console.log('top functions:')
for (const [fn, count] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(count)}  ${fn}`)
console.log('router functions:')
for (const [fn, count] of [...byFunction].filter(([fn]) => routerFunctions.has(fn)).sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(count)}  ${fn}`)
