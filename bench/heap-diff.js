// node --expose-gc bench/heap-diff.js [variant=router] [v4|v2] [rows=0]
// What one connected socket costs on the server's heap, by kind of object: a heap snapshot before
// and after 2,000 sockets join 100 namespaces that already exist, divided by 2,000. The server runs in
// this process (the snapshot must see it), the clients in a child process. Compare variants, e.g.
// `floor` and `router`; NS_ROUTER_BENCH_PACKAGE=DIR measures another build of the package (its directory).
import { createServer } from 'node:http'
import v8 from 'node:v8'
import { Server } from 'socket.io'
import { spawn } from './proc.js'
import { snapshotPackage } from './snapshot.js'

const [variant = 'router', generation = 'v4', rows = '0'] = process.argv.slice(2)
const SOCKETS = 2000
process.env.NS_ROUTER_BENCH_PACKAGE ||= await snapshotPackage()
const { chatName, variants } = await import('./servers.js')

const names = Array.from({ length: 100 }, (_, i) => chatName(i))
const http = createServer()
const io = new Server(http, { allowEIO3: true })
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
await variants[variant](io, { names })
const url = `http://127.0.0.1:${http.address().port}`
const client = await spawn('./client.js', { name: 'client' })

// Self size by object kind (constructor name for objects and closures).
async function census() {
  global.gc()
  global.gc()
  const chunks = []
  for await (const chunk of v8.getHeapSnapshot()) chunks.push(chunk)
  const snapshot = JSON.parse(Buffer.concat(chunks).toString())
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f))
  const kinds = new Map()
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const t = types[snapshot.nodes[i + type]]
    const key = t === 'object' || t === 'closure' ? `${t} ${snapshot.strings[snapshot.nodes[i + name]]}`.slice(0, 70) : t
    const entry = kinds.get(key) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += snapshot.nodes[i + size]
    kinds.set(key, entry)
  }
  return kinds
}

// Lazily created namespaces exist before the first census, as the floor's do.
await client.request('connect', { url, generation, names })
await client.request('closeAll')
await new Promise((resolve) => setTimeout(resolve, 500))
const before = await census()
await client.request('connect', { url, generation, names: Array.from({ length: SOCKETS }, (_, i) => names[i % names.length]) }, 120_000)
const after = await census()
const diff = [...after].map(([key, { count, bytes }]) => [key, (count - (before.get(key)?.count ?? 0)) / SOCKETS, (bytes - (before.get(key)?.bytes ?? 0)) / SOCKETS])
diff.sort((a, b) => b[2] - a[2])
console.log(`${variant}, ${generation} clients: ${diff.reduce((sum, d) => sum + d[2], 0).toFixed(0)} bytes of heap per socket`)
for (const [key, count, bytes] of diff.slice(0, Number(rows))) console.log(`${bytes.toFixed(0).padStart(7)} B ${count.toFixed(2).padStart(6)} × ${key}`)
await client.close()
io.close()
process.exit(0)
