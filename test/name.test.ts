import t from 'tap'
import { DEFAULT_MAX_NAME_LENGTH, isProblem, parseName } from '../lib/name.js'

t.test('accepted names and their canonical spelling', async (t) => {
  t.same(parseName('/category/1/item/2/chat'), { name: '/category/1/item/2/chat', canonical: '/category/1/item/2/chat' })
  t.same(parseName('//category/1/item/2/chat'), { name: '//category/1/item/2/chat', canonical: '/category/1/item/2/chat' })
  t.same(parseName("/a-b_c.d~e/!$&'()*+,;=:@"), { name: "/a-b_c.d~e/!$&'()*+,;=:@", canonical: "/a-b_c.d~e/!$&'()*+,;=:@" })
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
  ]
  for (const [name, reason] of refused) {
    const parsed = parseName(name)
    t.ok(isProblem(parsed), JSON.stringify(name))
    t.same(parsed, { reason }, JSON.stringify(name))
  }
  t.same(parseName('/abcd', 4), { reason: 'longer than 4 characters' })
  t.notOk(isProblem(parseName('/abc', 4)))
})
