import fc from 'fast-check'
import t from 'tap'
import { DEFAULT_MAX_NAME_LENGTH, isCanonical, isProblem, parseName } from '../lib/name.js'

t.test('accepted names and their canonical spelling', async (t) => {
  t.same(parseName('/category/1/item/2/chat'), { name: '/category/1/item/2/chat', canonical: '/category/1/item/2/chat' })
  t.same(parseName('//category/1/item/2/chat'), { name: '//category/1/item/2/chat', canonical: '/category/1/item/2/chat' })
  t.same(parseName('/a-b_c.d~e/0.9'), { name: '/a-b_c.d~e/0.9', canonical: '/a-b_c.d~e/0.9' })
  t.same(parseName('/Chat'), { name: '/Chat', canonical: '/Chat' }, 'case is kept: socket.io names are case-sensitive')
})

t.test('refused names', async (t) => {
  const refused: [unknown, string][] = [
    [undefined, 'not a string'],
    [['/a', '/b'], 'not a string'],
    ['', 'empty'],
    ['/', 'not an absolute name'],
    ['//', 'not an absolute name'],
    ['a/b', 'not an absolute name'],
    ['/' + 'a'.repeat(DEFAULT_MAX_NAME_LENGTH), `longer than ${DEFAULT_MAX_NAME_LENGTH} characters`],
    ['/a/', 'empty segment'],
    ['/a//b', 'empty segment'],
    ['///a', 'empty segment'],
    ['/a/./b', 'dot segment'],
    ['/a/..', 'dot segment'],
    ['/a%2Fb', 'character outside the allowed set'],
    ['/a?b=1', 'character outside the allowed set'],
    ['/a#b', 'character outside the allowed set'],
    ['/a b', 'character outside the allowed set'],
    ['/a\nb', 'character outside the allowed set'],
    ['/caf\u00e9', 'character outside the allowed set'],
    ['/a*', 'character outside the allowed set'],
    ['/(a)', 'character outside the allowed set'],
    ['/a:b', 'character outside the allowed set'],
    ['/a@b', 'character outside the allowed set'],
    ['/a$', 'character outside the allowed set'],
  ]
  for (const [name, reason] of refused) {
    const parsed = parseName(name)
    t.ok(isProblem(parsed), JSON.stringify(name))
    t.same(parsed, { reason }, JSON.stringify(name))
  }
  t.same(parseName('/abcd', 4), { reason: 'longer than 4 characters' })
  t.notOk(isProblem(parseName('/abc', 4)))
})

t.test('property: over 100 000 generated names, nothing throws and accepted names are canonical', async (t) => {
  const UNRESERVED = /^[A-Za-z0-9._~-]+$/
  const name = fc.oneof(
    fc.string({ maxLength: 300, unit: 'binary' }),
    fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{0,8}$/), fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 6 })
      .map((parts) => '/' + parts.join('/')),
    fc.anything(),
  )
  let accepted = 0
  fc.assert(
    fc.property(name, (raw) => {
      const parsed = parseName(raw)
      if (isProblem(parsed)) return typeof parsed.reason === 'string'
      accepted++
      const { canonical } = parsed
      const segments = canonical.slice(1).split('/')
      return (
        typeof raw === 'string' &&
        parsed.name === raw &&
        canonical.startsWith('/') &&
        canonical.length <= DEFAULT_MAX_NAME_LENGTH &&
        segments.every((s) => UNRESERVED.test(s) && s !== '.' && s !== '..') &&
        (raw === canonical || raw === '/' + canonical) &&
        // The canonical spelling is its own canonical spelling: one name, one namespace.
        !isProblem(parseName(canonical)) &&
        (parseName(canonical) as { canonical: string }).canonical === canonical
      )
    }),
    { numRuns: 100_000, seed: 20261122 },
  )
  t.ok(accepted > 1000, `a fair share was accepted (${accepted})`)
})

t.test('isCanonical says what parseName says: accepted, and spelled canonically', async (t) => {
  t.equal(isCanonical('/category/1/item/2/chat'), true)
  t.equal(isCanonical('//category/1/item/2/chat'), false, 'accepted, but its canonical spelling is another')
  t.equal(isCanonical('/a/../b'), false)
  t.equal(isCanonical('/abc', 4), true)
  t.equal(isCanonical('/abcd', 4), false, 'over the length bound')
  t.equal(isCanonical('/'.padEnd(DEFAULT_MAX_NAME_LENGTH + 1, 'a')), false, 'the default bound applies')
  const name = fc.oneof(
    fc.string({ maxLength: 300, unit: 'binary' }),
    fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{0,8}$/), fc.constantFrom('.', '..', ''), fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 6 })
      .map((parts) => ['/', '//'][parts.length % 2] + parts.join('/')),
  )
  let canonical = 0
  fc.assert(
    fc.property(name, (raw) => {
      const parsed = parseName(raw)
      const expected = !isProblem(parsed) && parsed.canonical === raw
      if (expected) canonical++
      return isCanonical(raw) === expected
    }),
    { numRuns: 50_000, seed: 20261207 },
  )
  t.ok(canonical > 200, `a fair share was canonical (${canonical})`)
})
