/**
 * Time as the router reads it, and its timers: the system's by default; tests drive their own.
 *
 * @example
 * const clock: Clock = { now: Date.now, setTimeout: (run, ms) => setTimeout(run, ms).unref(), clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout) }
 */
export interface Clock {
  /** Epoch ms. */
  now(): number
  /** Runs `run` after `ms`; the timer must not keep the process alive. */
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}

/**
 * The system clock, with timers that do not keep the process alive.
 *
 * @example
 * systemClock.setTimeout(() => {}, 1000)
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout> | undefined),
}

/**
 * What {@link createDeadlines} keeps in its queue: `slot` is its place there, -1 when it has no deadline.
 *
 * @example
 * class Waiting implements Deadlined { slot = -1 }
 */
export interface Deadlined {
  slot: number
}

/**
 * Deadlines of many items on one timer of a clock.
 *
 * @example
 * deadlines.set(item, clock.now() + 30_000)
 * deadlines.cancel(item)
 */
export interface Deadlines<T extends Deadlined> {
  /** Gives `item` the deadline `at` (epoch ms), in place of the one it had. */
  set(item: T, at: number): void
  /** Takes `item`'s deadline away, if it has one. */
  cancel(item: T): void
  /** How many items have a deadline. */
  size(): number
}

/**
 * Deadlines on one timer of `clock`, whatever their number: `expire(item)` runs when `item`'s deadline
 * comes, as it would from a timer of its own set at the same moment, and items due at the same time run in
 * the order their deadlines were set. A timer per item costs every waiting item a timer object and a
 * closure (about 250 B, bench/README.md, "Memory per live namespace"); here it costs three array slots.
 * The clock has a timer exactly while some item has a deadline. An item set again while `expire` runs
 * waits for the next turn of the timer, even when it is due at once.
 *
 * @example
 * const deadlines = createDeadlines<Entry>(systemClock, (entry) => remove(entry))
 * deadlines.set(entry, systemClock.now() + ttl)
 */
export function createDeadlines<T extends Deadlined>(clock: Clock, expire: (item: T) => void): Deadlines<T> {
  // A binary min-heap of items by (deadline, order set), its keys in arrays of their own beside it, so
  // that an item holds only its slot.
  const items: T[] = []
  const deadlines: number[] = []
  const orders: number[] = []
  let sets = 0
  let timer: unknown
  // The deadline the timer was set for (Infinity: no timer).
  let armedFor = Infinity

  const before = (i: number, j: number): boolean =>
    (deadlines[i] as number) < (deadlines[j] as number) || (deadlines[i] === deadlines[j] && (orders[i] as number) < (orders[j] as number))

  const place = (i: number, item: T, at: number, order: number): void => {
    items[i] = item
    deadlines[i] = at
    orders[i] = order
    item.slot = i
  }

  const move = (from: number, to: number): void => place(to, items[from] as T, deadlines[from] as number, orders[from] as number)

  // Moves the item at `i` to where its keys belong.
  const sift = (i: number): void => {
    const item = items[i] as T
    const at = deadlines[i] as number
    const order = orders[i] as number
    const n = items.length
    // Keys of `item` are at `i` while it moves: `before(x, i)` compares with them.
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(i, parent)) break
      move(parent, i)
      place(parent, item, at, order)
      i = parent
    }
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      if (child + 1 < n && before(child + 1, child)) child++
      if (!before(child, i)) break
      move(child, i)
      place(child, item, at, order)
      i = child
    }
  }

  const take = (i: number): T => {
    const item = items[i] as T
    const last = items.length - 1
    if (i !== last) move(last, i)
    items.pop()
    deadlines.pop()
    orders.pop()
    if (i !== last) sift(i)
    item.slot = -1
    return item
  }

  // The timer follows the earliest deadline; one set for an earlier deadline than the earliest is left to
  // run (it finds nothing due and follows on), rather than set again on every cancel.
  const arm = (): void => {
    if (items.length === 0) {
      if (armedFor !== Infinity) clock.clearTimeout(timer)
      timer = undefined
      armedFor = Infinity
      return
    }
    const first = deadlines[0] as number
    if (first >= armedFor) return
    if (armedFor !== Infinity) clock.clearTimeout(timer)
    armedFor = first
    timer = clock.setTimeout(fire, Math.max(0, first - clock.now()))
  }

  const fire = (): void => {
    // Due: what the timer was set for, and whatever else the clock says is past.
    const due = Math.max(armedFor, clock.now())
    const last = sets
    timer = undefined
    armedFor = Infinity
    while (items.length > 0 && (deadlines[0] as number) <= due && (orders[0] as number) < last) expire(take(0))
    arm()
  }

  return {
    set(item, at) {
      const order = sets++
      if (item.slot < 0) {
        place(items.length, item, at, order)
      } else {
        deadlines[item.slot] = at
        orders[item.slot] = order
      }
      sift(item.slot)
      arm()
    },
    cancel(item) {
      if (item.slot < 0) return
      take(item.slot)
      if (items.length === 0) arm()
    },
    size: () => items.length,
  }
}
