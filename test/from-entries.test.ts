import t from 'tap'
import { fromEntries } from '../lib/from-entries.js'

t.test('same result as Object.fromEntries, __proto__ included', async (t) => {
  for (const entries of [[], [['chat', 1], ['room', 2]], [['__proto__', 3]], [['a', 1], ['a', 2]]] as [string, number][][]) {
    const object = fromEntries(entries)
    t.same(object, Object.fromEntries(entries))
    t.same(Object.getOwnPropertyDescriptors(object), Object.getOwnPropertyDescriptors(Object.fromEntries(entries)))
    t.equal(Object.getPrototypeOf(object), Object.prototype)
  }
  t.same(fromEntries(new Map([['chat', 2]])), { chat: 2 }, 'from a Map')
})
