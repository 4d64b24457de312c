import t from 'tap'
import { callSafely, createEmitter, listened, reporter, safeEmit } from '../lib/safe-emit.js'

t.test('every handler runs even when one throws or rejects; all failures are reported', async (t) => {
  const emitter = createEmitter<{ ev: number }>()
  const calls: string[] = []
  const reported: unknown[] = []
  emitter.on('ev', () => { calls.push('throws'); throw new Error('sync') })
  emitter.on('ev', async () => { calls.push('rejects'); throw new Error('async') })
  const self = () => { calls.push('self-removing'); emitter.off('ev', self) }
  emitter.on('ev', self)
  emitter.on('*', (type) => { calls.push(`wildcard ${String(type)}`); throw new Error('wild') })
  safeEmit(emitter, 'ev', 1, (error) => reported.push((error as Error).message))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(calls, ['throws', 'rejects', 'self-removing', 'wildcard ev'])
  t.same(reported.sort(), ['async', 'sync', 'wild'])
  safeEmit(emitter, 'ev', 2, () => {})
  t.equal(calls.filter((c) => c === 'self-removing').length, 1, 'a handler may remove itself')
})

t.test('an emit with no handlers is fine', async (t) => {
  safeEmit(createEmitter<{ ev: number }>(), 'ev', 1, () => t.fail('nothing to report'))
  t.pass()
})

t.test('a reporter that throws is contained', async (t) => {
  callSafely(() => { throw new Error('first') }, () => { throw new Error('second') })
  callSafely(() => Promise.reject(new Error('first')), () => { throw new Error('second') })
  await new Promise((resolve) => setImmediate(resolve))
  t.pass('no exception escaped')
})

t.test('values and resolved promises are not reported', async (t) => {
  callSafely(() => 1, () => t.fail())
  callSafely(() => Promise.resolve(1), () => t.fail())
  callSafely(() => ({ then: 1 }), () => t.fail())
  await new Promise((resolve) => setImmediate(resolve))
  t.pass()
})

t.test('reporter turns a failure into an error event, and a failing error handler is only logged', async (t) => {
  const emitter = createEmitter<Record<string, unknown>>()
  const seen: unknown[] = []
  emitter.on('error', (payload) => { seen.push(payload); throw new Error('error handler') })
  const failure = new Error('failure')
  reporter(emitter, 'authorize', 'chat', '/a')(failure)
  t.same(seen, [{ error: failure, during: 'authorize', route: 'chat', name: '/a' }])
})

t.test('listened: an event has a handler of its own or a wildcard one', async (t) => {
  const emitter = createEmitter<Record<string, unknown>>()
  t.notOk(listened(emitter, 'ev'))
  const handler = () => {}
  emitter.on('ev', handler)
  t.ok(listened(emitter, 'ev'))
  emitter.off('ev', handler)
  t.notOk(listened(emitter, 'ev'), 'not once its handler is gone')
  emitter.on('*', () => {})
  t.ok(listened(emitter, 'ev'))
})
