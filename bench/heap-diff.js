// node --expose-gc bench/heap-diff.js [variant=router] [v4|v2] [rows=0]
// What one connected socket costs on the server's heap, by kind of object: a heap snapshot before
// and after 2,000 sockets join 100 namespaces that already exist, divided by 2,000. The server runs in
// this process (the snapshot must see it), the clients in a child process. Compare variants, e.g.
// `floor` and `router`; NS_ROUTER_BENCH_PACKAGE=DIR measures another build of the package (its directory).
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { census, growth, printGrowth } from './heap-census.js'
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

// Lazily created namespaces exist before the first census, as the floor's do.
await client.request('connect', { url, generation, names })
await client.request('closeAll')
await new Promise((resolve) => setTimeout(resolve, 500))
const before = await census()
await client.request('connect', { url, generation, names: Array.from({ length: SOCKETS }, (_, i) => names[i % names.length]) }, 120_000)
const after = await census()
printGrowth(`${variant}, ${generation} clients, per socket`, growth(before, after, SOCKETS), Number(rows))
await client.close()
io.close()
process.exit(0)
