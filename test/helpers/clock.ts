import type { Clock } from '../../lib/clock.js'

/** A clock that moves only when a test says so: grace periods run without waiting for them. */
export interface ManualClock extends Clock {
  /** Moves time on by `ms`, running every timer that falls due, in order, including ones they set. */
  advance(ms: number): void
  /** How many timers are set. */
  pending(): number
}

export function manualClock(start = 1_000_000): ManualClock {
  let time = start
  let nextId = 0
  const timers = new Map<number, { at: number; run: () => void }>()
  return {
    now: () => time,
    setTimeout(run, ms) {
      const id = ++nextId
      timers.set(id, { at: time + ms, run })
      return id
    },
    clearTimeout(timer) {
      timers.delete(timer as number)
    },
    advance(ms) {
      const end = time + ms
      for (;;) {
        let due: [number, { at: number; run: () => void }] | undefined
        for (const timer of timers) if (timer[1].at <= end && (!due || timer[1].at < due[1].at)) due = timer
        if (!due) break
        timers.delete(due[0])
        time = due[1].at
        due[1].run()
      }
      time = end
    },
    pending: () => timers.size,
  }
}
