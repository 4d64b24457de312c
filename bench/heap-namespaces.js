// [RETAINERS=1] [PER_CONNECTION=100] node --expose-gc bench/heap-namespaces.js [variant=router] [adapter=memory|redis] [rows=20] [count=3000]
// What one live namespace costs on the server's heap, by kind of object: a heap snapshot before and
// after `count` namespaces are created, divided by `count`. Variants: `regex` and `router` get one v4
// client per namespace (each creates its namespace); `static` (`io.of(name)`) and `router-server`
// (`router.namespace()`) have no client. `redis` puts the classic Redis adapter on a redis-server started
// here. The server runs in this process (the snapshot must see it), the clients in a child process.
// NS_ROUTER_BENCH_PACKAGE=DIR measures another build of the package (its directory). The figures of the memory case
// (memory.js) come from paired processes, not from this; this says where the bytes are.
import { createServer } from 'node:http'
import v8 from 'node:v8'
import { Server } from 'socket.io'
import { spawn } from './proc.js'
import { snapshotPackage } from './snapshot.js'
import { startRedis, useRedisAdapter } from './redis-server.js'

const [variant = 'router', adapter = 'memory', rows = '20', countArg = '3000'] = process.argv.slice(2)
const COUNT = Number(countArg)
process.env.NS_ROUTER_BENCH_PACKAGE ||= await snapshotPackage()
const { chatName, memoryVariants } = await import('./servers.js')

const names = Array.from({ length: COUNT }, (_, i) => chatName(i))
const redis = adapter === 'redis' ? await startRedis() : undefined
const http = createServer()
const io = new Server(http, { allowEIO3: true })
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
if (redis) await useRedisAdapter(io, redis.url)
const url = `http://127.0.0.1:${http.address().port}`
const client = await spawn('./client.js', { name: 'client' })

// Self size by object kind (constructor name for objects and closures); with RETAINERS=1, also by the
// first edge that holds it (holder's kind and edge name), to tell apart objects of the same kind.
const byRetainer = process.env.RETAINERS === '1'
async function census() {
  global.gc()
  global.gc()
  const chunks = []
  for await (const chunk of v8.getHeapSnapshot()) chunks.push(chunk)
  const snapshot = JSON.parse(Buffer.concat(chunks).toString())
  const { node_fields: fields, edge_fields: edgeFields, node_types: nodeTypes, edge_types: edgeTypes } = snapshot.snapshot.meta
  const types = nodeTypes[0]
  const [type, name, size, edgeCount] = ['type', 'name', 'self_size', 'edge_count'].map((f) => fields.indexOf(f))
  const label = (i) => {
    const t = types[snapshot.nodes[i + type]]
    return t === 'object' || t === 'closure' ? `${t} ${snapshot.strings[snapshot.nodes[i + name]]}`.slice(0, 50) : t
  }
  const holder = new Map()
  if (byRetainer) {
    const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f))
    let e = 0
    for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
      for (let k = 0; k < snapshot.nodes[i + edgeCount]; k++, e += edgeFields.length) {
        const to = snapshot.edges[e + eTo]
        const et = edgeTypes[0][snapshot.edges[e + eType]]
        if (holder.has(to) || et === 'weak' || et === 'shortcut') continue
        const n = snapshot.edges[e + eName]
        holder.set(to, `${label(i)}.${et === 'element' || et === 'hidden' ? `[${et}]` : snapshot.strings[n]}`)
      }
    }
  }
  const kinds = new Map()
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const key = byRetainer ? `${label(i)} <- ${holder.get(i)}` : label(i)
    const entry = kinds.get(key) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += snapshot.nodes[i + size]
    kinds.set(key, entry)
  }
  return kinds
}

const setup = memoryVariants[variant]
const { clients, create } = await setup(io)
const before = await census()
await create(names)
// PER_CONNECTION=100: one socket per namespace, 100 namespaces per engine.io connection (multiplexed).
const perConnection = Number(process.env.PER_CONNECTION) || 0
const options = { url, generation: 'v4', names, concurrency: 50, timeoutMs: 60_000, perConnection }
if (clients) await client.request(perConnection ? 'joinMany' : 'connect', options, 300_000)
const after = await census()
const diff = [...after].map(([key, { count, bytes }]) => [key, (count - (before.get(key)?.count ?? 0)) / COUNT, (bytes - (before.get(key)?.bytes ?? 0)) / COUNT])
diff.sort((a, b) => b[2] - a[2])
console.log(`${variant}, ${adapter} adapter: ${diff.reduce((sum, d) => sum + d[2], 0).toFixed(0)} bytes of heap per namespace${clients ? ' with one client' : ''}`)
for (const [key, count, bytes] of diff.slice(0, Number(rows))) console.log(`${bytes.toFixed(0).padStart(7)} B ${count.toFixed(2).padStart(6)} × ${key}`)
await client.close()
io.close()
redis?.stop()
process.exit(0)
