import t from 'tap'
import { codes, RefusalError } from '../lib/errors.js'
import { createRefusals } from '../lib/refusals.js'
import { createEmitter } from '../lib/safe-emit.js'

t.test('a refusal is counted by code, announced as refused, and returned as a RefusalError', async (t) => {
  const emitter = createEmitter<Record<string, unknown>>()
  const refused: unknown[] = []
  emitter.on('refused', (payload) => refused.push(payload))
  const refusals = createRefusals(emitter)
  const error = refusals.refuse(codes.FORBIDDEN, 'no', '/a', 'chat')
  refusals.refuse(codes.FORBIDDEN, 'no', '/b')
  refusals.refuse(codes.NO_ROUTE, 'Invalid namespace', '/c')
  t.ok(error instanceof RefusalError)
  t.equal(error.message, 'no')
  t.same(error.data, { code: codes.FORBIDDEN, message: 'no' })
  t.same(refusals.counts(), { [codes.FORBIDDEN]: 2, [codes.NO_ROUTE]: 1 })
  t.same(refused[0], { code: codes.FORBIDDEN, message: 'no', name: '/a', route: 'chat' })
  const counts = refusals.counts()
  counts[codes.LIMIT] = 1
  t.notOk(codes.LIMIT in refusals.counts(), 'counts() is a copy')
  const removed = refusals.removedWhileJoining('/d')
  t.same(removed.data, { code: codes.UNAVAILABLE, message: 'the namespace was removed while joining; connect again' })
  t.same(refused[3], { code: codes.UNAVAILABLE, message: 'the namespace was removed while joining; connect again', name: '/d', route: undefined })
  t.equal(refusals.counts()[codes.UNAVAILABLE], 1)
})

t.test('a refused handler that throws becomes an error event', async (t) => {
  const emitter = createEmitter<Record<string, unknown>>()
  const errors: unknown[] = []
  emitter.on('refused', () => { throw new Error('handler') })
  emitter.on('error', (payload) => errors.push(payload))
  createRefusals(emitter).refuse(codes.LIMIT, 'too many', '/a', 'chat')
  t.match(errors, [{ error: { message: 'handler' }, during: 'refused handler', route: 'chat', name: '/a' }])
})
