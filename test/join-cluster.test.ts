// The join race of join.test.ts on node:cluster workers behind @socket.io/sticky, with
// @socket.io/cluster-adapter: worker 0 broadcasts the instant each client it opened through the primary
// is connected, to whichever worker round-robin gave it.
import t from 'tap'
import { startCluster } from './helpers/cluster.js'
import { madeProgress } from './helpers/node.js'
import { raceInParts } from './helpers/race.js'

const COUNT = Number(process.env.JOIN_COUNT ?? 1000)
const CONCURRENCY = 20

t.test(`the cluster adapter: ${2 * COUNT} broadcasts (joins spread over both workers by round-robin), none lost`, async (t) => {
  const { port, call } = await startCluster(t)
  const race = (run: string, count: number) => call(0, 'race', { url: `http://127.0.0.1:${port}`, run, count, concurrency: CONCURRENCY })
  const result = await raceInParts(race, 'r', 2 * COUNT, madeProgress)
  t.same(result, { lost: 0, failed: 0 }, `0 of ${2 * COUNT} lost`)
})

