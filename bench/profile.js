// node bench/profile.js [v4|v2] [clients=2000] [namespaces=100] [variants=floor,router]
// Profiles servers side by side under the connection benchmark's load: every variant's server runs at
// once with --cpu-prof, the clients go to them in turn, and the profiles are compared per connection
// (µs of CPU samples), by package and by function, so what one variant spends over another shows.
// With NS_ROUTER_BENCH_CANDIDATE=DIR, the variant `candidate` is the router of that build.
// Profiles are written to bench/results/profiles/ (not checked in).
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawn } from './proc.js'
import { chatName, serverSpec } from './servers.js'
import { snapshotPackage } from './snapshot.js'

const [generation = 'v4', clients = '2000', namespaces = '100', list = 'floor,router'] = process.argv.slice(2)
const variants = list.split(',')
const rounds = 3
const root = fileURLToPath(new URL('./results/profiles/', import.meta.url))
process.env.NS_ROUTER_BENCH_PACKAGE ||= await snapshotPackage()

// Fresh names every round, so lazy variants create `namespaces` namespaces in each.
const namesOf = (round) => Array.from({ length: Number(clients) }, (_, i) => chatName(round * Number(namespaces) + (i % Number(namespaces))))
const allNames = [...new Set(Array.from({ length: rounds }, (_, r) => namesOf(r)).flat())]

const client = await spawn('./client.js', { name: 'client' })
const servers = await Promise.all(
  variants.map(async (variant) => {
    const dir = `${root}${variant}-${generation}/`
    rmSync(dir, { recursive: true, force: true })
    const spec = serverSpec(variant)
    const server = await spawn('./server.js', { name: `server(${variant})`, env: spec.env, execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'] })
    const { port } = await server.request('start', { variant: spec.variant, options: { names: variant === 'floor' ? allNames : [] } })
    return { variant, server, dir, url: `http://127.0.0.1:${port}` }
  }),
)
for (let round = 0; round < rounds; round++) {
  const run = await client.request('connect', { urls: servers.map((s) => s.url), first: round, generation, concurrency: 50, names: namesOf(round) }, 600_000)
  await client.request('closeAll')
  console.error(`round ${round + 1}: ${run.perServer.map((r, i) => `${variants[i]} ${r.ok}/${clients}`).join(', ')}`)
}
await Promise.all(servers.map((s) => s.server.close(30_000)))
await client.close()

const packageOf = (url) => {
  if (!url) return '(native, GC)'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  if (url.includes('/bench/.snapshot/') || url.includes('/dist/')) return 'socket.io-ns-router'
  return url.startsWith('node:') ? 'node internals' : url.replace(/^.*\/bench\//, 'bench/')
}

function read(dir) {
  const profile = JSON.parse(readFileSync(dir + readdirSync(dir).find((f) => f.endsWith('.cpuprofile')), 'utf8'))
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parents = new Map()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  // Microseconds per sample: the profile's own span over its sample count.
  const perSample = (profile.endTime - profile.startTime) / profile.samples.length
  const byPackage = new Map()
  const byFunction = new Map()
  let underRouter = 0
  const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n)
  const counts = new Map()
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
  for (const [id, count] of counts) {
    const { callFrame } = nodes.get(id)
    if (callFrame.functionName === '(idle)') continue
    add(byPackage, packageOf(callFrame.url), count)
    add(byFunction, `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^.*\/(node_modules|esm)\//, '')}:${callFrame.lineNumber + 1}`, count)
    // Inclusive: a router frame anywhere on the stack, the benchmark's own handler below it excluded.
    let routerSeen = false
    let handler = false
    for (let at = id; at !== undefined; at = parents.get(at)) {
      const { url } = nodes.get(at).callFrame
      if (url.endsWith('/bench/servers.js') && !routerSeen) handler = true
      if (packageOf(url) === 'socket.io-ns-router') routerSeen = true
    }
    if (routerSeen && !handler) underRouter += count
  }
  const scale = perSample / (Number(clients) * rounds)
  const per = (map) => new Map([...map].map(([k, v]) => [k, v * scale]))
  return { byPackage: per(byPackage), byFunction: per(byFunction), underRouter: underRouter * scale, busy: [...byPackage.values()].reduce((a, b) => a + b, 0) * scale }
}

const profiles = servers.map((s) => ({ variant: s.variant, ...read(s.dir) }))
const pad = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(9)
const table = (title, key, limit) => {
  const keys = new Set(profiles.flatMap((p) => [...p[key].keys()]))
  const rows = [...keys].map((k) => [k, profiles.map((p) => p[key].get(k) ?? 0)])
  const base = profiles[0]
  // Sorted by how much more the last variant spends than the first.
  rows.sort((a, b) => Math.abs(b[1].at(-1) - b[1][0]) - Math.abs(a[1].at(-1) - a[1][0]))
  console.log(`\n${title} (µs of CPU per connection; ${profiles.map((p) => p.variant).join(' / ')}, then the difference last − ${base.variant})`)
  for (const [k, values] of rows.slice(0, limit)) console.log(`${values.map(pad).join('')}${pad(values.at(-1) - values[0])}  ${k}`)
}
console.log(`${generation} clients, ${clients} per server and round over ${namespaces} namespaces, ${rounds} rounds`)
console.log(`busy CPU per connection: ${profiles.map((p) => `${p.variant} ${p.busy.toFixed(0)} µs`).join(', ')}`)
console.log(`with a router function on the stack: ${profiles.map((p) => `${p.variant} ${p.underRouter.toFixed(0)} µs`).join(', ')}`)
table('by package', 'byPackage', 12)
table('by function', 'byFunction', 30)
