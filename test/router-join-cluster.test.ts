// The join race of router-join.test.ts on node:cluster workers behind @socket.io/sticky, with
// @socket.io/cluster-adapter: worker 0 broadcasts the instant each client it opened through the primary
// is connected, to whichever worker round-robin gave it.
import { fork } from 'node:child_process'
import t from 'tap'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)
const CONCURRENCY = 20

t.test(`the cluster adapter: ${2 * COUNT} broadcasts (joins spread over both workers by round-robin), none lost`, async (t) => {
  const primary = fork(new URL('./fixtures/cluster-primary.ts', import.meta.url), { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  t.teardown(() => { primary.send({ cmd: 'exit' }) })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the cluster did not start')), 90_000)
    primary.on('message', (message: any) => {
      if (message?.ready) {
        clearTimeout(timer)
        resolve(message.ready)
      }
    })
  })
  const result = await new Promise<unknown>((resolve) => {
    primary.on('message', (message: any) => { if (message?.id === 1) resolve(message.result) })
    primary.send({ id: 1, worker: 0, cmd: 'race', url: `http://127.0.0.1:${port}`, run: 'r', count: 2 * COUNT, concurrency: CONCURRENCY })
  })
  t.same(result, { lost: 0, failed: 0 }, `0 of ${2 * COUNT} lost`)
})

