import fc from 'fast-check'
import t from 'tap'
import { codes } from '../lib/errors.js'
import { readQueryValue } from '../lib/root.js'

t.test('a single string is read', async (t) => {
  t.same(readQueryValue({ ns: '/a' }, 'ns'), { ok: true, value: '/a' })
  t.same(readQueryValue(Object.assign(Object.create(null), { ns: '/a' }), 'ns'), { ok: true, value: '/a' })
})

t.test('missing, empty and non-object queries are missing', async (t) => {
  for (const query of [undefined, null, 'ns=/a', {}, { ns: '' }, { ns: undefined }, { other: '/a' }]) {
    t.same(readQueryValue(query, 'ns'), { ok: false, code: codes.QUERY_MISSING }, JSON.stringify(query))
  }
})

t.test('repeated keys and other types are invalid, not guessed', async (t) => {
  for (const value of [['/a', '/b'], 1, {}, true]) {
    t.same(readQueryValue({ ns: value }, 'ns'), { ok: false, code: codes.QUERY_INVALID }, JSON.stringify(value))
  }
})

t.test('prototype keys are never read from the prototype', async (t) => {
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    t.same(readQueryValue({}, key), { ok: false, code: codes.QUERY_MISSING }, key)
  }
})

t.test('property: over 100 000 generated queries, nothing throws and only an own string is read', async (t) => {
  const key = fc.constantFrom('ns', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf')
  const value = fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 5 })), fc.anything())
  const query = fc.oneof(
    fc.dictionary(fc.oneof(key, fc.string({ maxLength: 6 })), value),
    fc.dictionary(key, value).map((d) => Object.assign(Object.create(null), d)),
    fc.anything(),
  )
  fc.assert(
    fc.property(query, key, (q, k) => {
      const read = readQueryValue(q, k)
      const own = typeof q === 'object' && q !== null && Object.hasOwn(q, k) ? (q as Record<string, unknown>)[k] : undefined
      if (read.ok) return typeof own === 'string' && own !== '' && read.value === own
      return read.code === (typeof own === 'string' || own === undefined ? codes.QUERY_MISSING : codes.QUERY_INVALID)
    }),
    { numRuns: 100_000, seed: 20261122 },
  )
  t.pass()
})
