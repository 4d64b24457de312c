import t from 'tap'
import { createDeadlines, systemClock, type Deadlined } from '../lib/clock.js'
import { manualClock } from './helpers/clock.js'

class Item implements Deadlined {
  slot = -1
  constructor(readonly name: string) {}
}

// Deadlines on a manual clock, with what expired and when.
function setup() {
  const clock = manualClock(0)
  const expired: Array<[string, number]> = []
  let onExpire = (_item: Item): void => {}
  const deadlines = createDeadlines<Item>(clock, (item) => {
    expired.push([item.name, clock.now()])
    onExpire(item)
  })
  return { clock, expired, deadlines, onExpire: (fn: (item: Item) => void) => (onExpire = fn) }
}

t.test('the system clock: epoch ms, and timers that run, can be cleared and keep no process alive', async (t) => {
  const now = systemClock.now()
  t.ok(Math.abs(now - Date.now()) < 1000)
  // Its timers do not keep the process alive: this one does, until the timer ran.
  const alive = setInterval(() => {}, 1000)
  const timer = await new Promise<NodeJS.Timeout>((resolve) => {
    const started: NodeJS.Timeout = systemClock.setTimeout(() => resolve(started), 1) as NodeJS.Timeout
    t.notOk(started.hasRef(), 'unref')
  })
  clearInterval(alive)
  t.ok(timer)
  const cleared = systemClock.setTimeout(() => t.fail('a cleared timer never runs'), 1) as NodeJS.Timeout & { _destroyed: boolean }
  systemClock.clearTimeout(cleared)
  t.ok(cleared._destroyed, 'cleared')
})

t.test('each item expires at its deadline exactly, on one timer', async (t) => {
  const { clock, expired, deadlines } = setup()
  const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')]
  deadlines.set(b, 200)
  deadlines.set(a, 100)
  deadlines.set(c, 300)
  t.equal(clock.pending(), 1, 'one timer for three deadlines')
  t.equal(deadlines.size(), 3)
  clock.advance(99)
  t.same(expired, [])
  clock.advance(1)
  t.same(expired, [['a', 100]])
  clock.advance(250)
  t.same(expired, [['a', 100], ['b', 200], ['c', 300]])
  t.equal(clock.pending(), 0, 'no timer once no item has a deadline')
  t.equal(a.slot, -1)
})

t.test('items due at the same time expire in the order their deadlines were set', async (t) => {
  const { clock, expired, deadlines } = setup()
  const items = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => new Item(name))
  for (const item of items) deadlines.set(item, 50)
  // Set again: last in the order.
  deadlines.set(items[1]!, 50)
  clock.advance(50)
  t.same(expired.map(([name]) => name), ['a', 'c', 'd', 'e', 'f', 'b'])
})

t.test('a deadline set again replaces the old one, earlier or later', async (t) => {
  const { clock, expired, deadlines } = setup()
  const [a, b] = [new Item('a'), new Item('b')]
  deadlines.set(a, 100)
  deadlines.set(b, 150)
  deadlines.set(a, 300)
  deadlines.set(b, 50)
  t.equal(clock.pending(), 1)
  clock.advance(400)
  t.same(expired, [['b', 50], ['a', 300]])
})

t.test('cancelled items never expire; the timer goes with the last deadline', async (t) => {
  const { clock, expired, deadlines } = setup()
  const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')]
  deadlines.cancel(a)
  t.equal(clock.pending(), 0, 'cancelling an item without a deadline does nothing')
  deadlines.set(a, 100)
  deadlines.set(b, 200)
  deadlines.set(c, 300)
  deadlines.cancel(a)
  t.equal(clock.pending(), 1, 'the earliest cancelled: its timer stays until it runs, then follows on')
  deadlines.cancel(c)
  clock.advance(150)
  t.same(expired, [], 'nothing due at 100 any more')
  t.equal(clock.pending(), 1, 'the timer follows the next deadline')
  clock.advance(50)
  t.same(expired, [['b', 200]])
  deadlines.set(a, 250)
  deadlines.cancel(a)
  t.equal(clock.pending(), 0, 'cancelling the only deadline clears the timer')
  clock.advance(1000)
  t.same(expired, [['b', 200]])
})

t.test('an item set again while expiring waits for the next turn, even when due at once', async (t) => {
  const { clock, expired, deadlines, onExpire } = setup()
  const a = new Item('a')
  let again = 2
  onExpire((item) => {
    if (again-- > 0) deadlines.set(item, clock.now())
  })
  deadlines.set(a, 10)
  clock.advance(10)
  t.same(expired, [['a', 10], ['a', 10], ['a', 10]], 'each time on a timer of its own turn')
  t.equal(clock.pending(), 0)
})

t.test('a deadline already past expires on the next turn of the timer', async (t) => {
  const { clock, expired, deadlines } = setup()
  clock.advance(100)
  deadlines.set(new Item('late'), 40)
  t.same(expired, [])
  clock.advance(0)
  t.same(expired, [['late', 100]])
})

t.test('many deadlines set, set again and cancelled expire as one timer each would have', async (t) => {
  const { clock, expired, deadlines } = setup()
  // A seeded PRNG: the same operations every run.
  let seed = 7
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return Math.floor(seed / 65536) % n
  }
  const items = Array.from({ length: 64 }, (_, i) => new Item(String(i)))
  const model = new Map<Item, { at: number; order: number }>()
  let order = 0
  let sizes = 0
  const expected: Array<[string, number]> = []
  for (let step = 0; step < 2000; step++) {
    const item = items[random(items.length)]!
    const op = random(4)
    if (op < 2) {
      const at = clock.now() + random(100)
      deadlines.set(item, at)
      model.set(item, { at, order: order++ })
    } else if (op === 2) {
      deadlines.cancel(item)
      model.delete(item)
    } else {
      const end = clock.now() + random(30)
      const due = [...model].filter(([, d]) => d.at <= end).sort(([, x], [, y]) => x.at - y.at || x.order - y.order)
      for (const [due1, d] of due) {
        expected.push([due1.name, Math.max(d.at, clock.now())])
        model.delete(due1)
      }
      clock.advance(end - clock.now())
    }
    if (deadlines.size() === model.size) sizes++
  }
  t.equal(sizes, 2000, 'as many deadlines as the model after every step')
  t.ok(expected.length > 200, `${expected.length} expired`)
  t.same(expired, expected)
  t.equal(clock.pending(), model.size > 0 ? 1 : 0)
})
