// The join race of issue 13 §5, run inside a node process: real clients to fresh namespaces on another
// node, each followed, the instant it is connected, by a broadcast from this node to its namespace.

interface RaceSocket {
  on(event: string, listener: (...args: any[]) => void): unknown
  close(): unknown
}

export interface RaceOptions {
  /** Opens a client to `name` on the other node. */
  connect(name: string): RaceSocket
  /** Broadcasts `news` to the routed namespace for `params`, from this node. */
  broadcast(params: { categoryId: string; itemId: string }, data: number): void
  run: string
  count: number
  concurrency: number
}

/** Resolves with how many broadcasts never reached their client, and how many clients failed to connect. */
export async function raceJoins({ connect, broadcast, run, count, concurrency }: RaceOptions): Promise<{ lost: number; failed: number }> {
  let lost = 0
  let failed = 0
  // A client that cannot connect at all (a loaded machine's timeout) proves nothing either way: it tries
  // again, into another fresh namespace, and counts as failed only when every try failed.
  const one = (i: number, attempt = 0): Promise<void> => new Promise<void>((resolve) => {
    const item = attempt === 0 ? String(i) : `${i}r${attempt}`
    const socket = connect(`/category/${run}/item/${item}/chat`)
    let timer: ReturnType<typeof setTimeout> | undefined
    let settled = false
    const done = (heard: boolean, error = false) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.close()
      if (error && attempt < 2) return resolve(one(i, attempt + 1))
      if (!heard) lost++
      if (error) failed++
      resolve()
    }
    socket.on('news', () => done(true))
    socket.on('connect_error', () => done(true, true))
    socket.on('error', () => done(true, true))
    socket.on('connect', () => {
      broadcast({ categoryId: run, itemId: item }, i)
      // A broadcast that arrives at all arrives within milliseconds, or seconds on a loaded machine: one not there after 10 s is lost.
      timer = setTimeout(() => done(false), Number(process.env.RACE_WAIT_MS ?? 10_000))
    })
  })
  let next = 0
  const worker = async () => {
    while (next < count) await one(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { lost, failed }
}

export interface RaceNode {
  url: string
  call<T = unknown>(cmd: string, args?: object): Promise<T>
}

/** How many joins one `race` command runs: the test hears of progress after each such part. */
export const RACE_PART = 100

/**
 * Runs `count` joins as parts of `RACE_PART` fresh namespaces each (`run` plus the part's first index), adding
 * up what each part lost, and calls `progress` after each part.
 */
export async function raceInParts(
  race: (run: string, count: number) => Promise<{ lost: number; failed: number }>,
  run: string,
  count: number,
  progress: () => void,
): Promise<{ lost: number; failed: number }> {
  const total = { lost: 0, failed: 0 }
  for (let first = 0; first < count; first += RACE_PART) {
    const part = await race(`${run}${first}`, Math.min(RACE_PART, count - first))
    total.lost += part.lost
    total.failed += part.failed
    progress()
  }
  return total
}

/**
 * Runs the race from node `b` against node `a`, after one broadcast has crossed from b to a: the streams
 * adapter 0.3.1 reads its stream from `$` until it has read an entry, so entries added between its first
 * reads are never read by a node that just started (README, "Running several nodes"). The Pub/Sub adapters
 * need no warm-up; every adapter gets it, so that all run the same race. `progress` is called after each
 * part of the race (see `raceInParts`).
 */
export async function raceAfterWarmUp(a: RaceNode, b: RaceNode, count: number, progress: () => void, concurrency = 20): Promise<unknown> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const warm = await b.call<{ lost: number; failed: number }>('race', { url: a.url, run: `warm${attempt}`, count: 1, concurrency: 1 })
    if (warm.lost === 0 && warm.failed === 0) break
  }
  return raceInParts((run, part) => b.call('race', { url: a.url, run, count: part, concurrency }), 'r', count, progress)
}
