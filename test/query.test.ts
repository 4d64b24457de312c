import t from 'tap'
import { codes } from '../lib/errors.js'
import { readQueryValue } from '../lib/query.js'

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
