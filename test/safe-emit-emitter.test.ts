import t from 'tap'
import { createEmitter } from '../lib/safe-emit.js'

t.test('createEmitter returns a working mitt emitter', async (t) => {
  const emitter = createEmitter<{ ping: number }>()
  const seen: unknown[] = []
  const handler = (n: number) => seen.push(n)
  emitter.on('ping', handler)
  emitter.on('*', (type, n) => seen.push([type, n]))
  emitter.emit('ping', 1)
  emitter.off('ping', handler)
  emitter.emit('ping', 2)
  t.same(seen, [1, ['ping', 1], ['ping', 2]])
  t.ok(emitter.all instanceof Map)
})
