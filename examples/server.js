// `npm start`: builds the package, then runs the demo on PORT (3000), HOST (127.0.0.1), with the Redis
// adapter when REDIS_URL is set.
import { startDemo } from './demo.js'

const demo = await startDemo({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  redisUrl: process.env.REDIS_URL,
})
process.stdout.write(`demo chat on ${demo.url}/${process.env.REDIS_URL ? ` (Redis adapter: ${process.env.REDIS_URL})` : ''}\n`)

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await demo.close()
    process.exit(0)
  })
}
