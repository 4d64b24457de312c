// [RETAINERS=1] [PER_CONNECTION=100] node --expose-gc bench/heap-namespaces.js [variant=router] [adapter=memory|redis|sharded-static] [rows=20] [count=3000]
// What one more live namespace costs on the server's heap, by kind of object, as the memory case
// (memory.js) counts it: `count` namespaces in two halves, a heap census (heap-census.js) after each, the
// second half's growth divided by its size. Variants: `regex` and `router` get one v4 client per namespace
// (each creates its namespace); `static` (`io.of(name)`) and `router-server` (`router.namespace()`) have
// no client. `redis` (the classic adapter) and `sharded-static` put a Redis adapter on a redis-server
// started here, and each census waits until Redis has answered (redis-server.js, `settled`). The server
// runs in this process (the snapshot must see it), the clients in a child process.
// NS_ROUTER_BENCH_PACKAGE=DIR measures another build of the package (its directory). The figures of the memory case come
// from paired processes, not from this; this says where the bytes are.
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { census, growth, printGrowth } from './heap-census.js'
import { spawn } from './proc.js'
import { snapshotPackage } from './snapshot.js'
import { startRedis, useRedisAdapter } from './redis-server.js'

const [variant = 'router', adapter = 'memory', rows = '20', countArg = '3000'] = process.argv.slice(2)
const COUNT = Number(countArg)
process.env.NS_ROUTER_BENCH_PACKAGE ||= await snapshotPackage()
const { chatName, memoryVariants } = await import('./servers.js')

const redis = adapter === 'memory' ? undefined : await startRedis()
const http = createServer()
const io = new Server(http, { allowEIO3: true })
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
const redisAdapter = redis && (await useRedisAdapter(io, redis.url, adapter))
const url = `http://127.0.0.1:${http.address().port}`
const client = await spawn('./client.js', { name: 'client' })

const setup = memoryVariants[variant]
const { clients, create } = await setup(io)
// PER_CONNECTION=100: one socket per namespace, 100 namespaces per engine.io connection (multiplexed).
const perConnection = Number(process.env.PER_CONNECTION) || 0
const retainers = process.env.RETAINERS === '1'
// Each batch's names are made just before it, as memory.js's server gets them (over IPC): a name a
// namespace keeps is counted with it, whoever made it.
const add = async (from, to) => {
  const batch = Array.from({ length: to - from }, (_, i) => chatName(from + i))
  create(batch)
  const options = { url, generation: 'v4', names: batch, concurrency: 50, timeoutMs: 60_000, perConnection }
  if (clients) await client.request(perConnection ? 'joinMany' : 'connect', options, 300_000)
  await redisAdapter?.settled()
  return census({ retainers, width: 50 })
}
const half = COUNT >> 1
const middle = await add(0, half)
const after = await add(half, COUNT)
printGrowth(`${variant}, ${adapter} adapter, per namespace${clients ? ' with one client' : ''}`, growth(middle, after, COUNT - half), Number(rows))
await client.close()
io.close()
redis?.stop()
process.exit(0)
