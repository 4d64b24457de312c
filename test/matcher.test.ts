import fc from 'fast-check'
import t from 'tap'
import { codes } from '../lib/errors.js'
import { classify, compileRoutes, DEFAULT_MAX_PARAM_LENGTH, resolve } from '../lib/matcher.js'
import { isProblem, parseName } from '../lib/name.js'

t.test('path patterns: params, captures in order, trailing wildcard, constraints', async (t) => {
  const matcher = compileRoutes({
    chat: '/category/:categoryId/item/:itemId/chat',
    files: '/files/*',
    num: '/n/:id(^\\d+$)',
  })
  const chat = matcher.match('/category/1/item/2/chat')!
  t.equal(chat.route.name, 'chat')
  t.same(chat.params, { categoryId: '1', itemId: '2' })
  t.same(chat.captures, ['1', '2'])
  t.same(matcher.match('/files/a/b')!.params, { '*': 'a/b' })
  t.same(matcher.match('/n/12')!.captures, ['12'])
  t.equal(matcher.match('/n/ab'), undefined, 'a param constraint is enforced')
  t.equal(matcher.match('/Category/1/item/2/chat'), undefined, 'case-sensitive')
  t.equal(matcher.match('/category/1/item/2/chat/'), undefined, 'no trailing slash')
  t.equal(matcher.match('/category/1/item/2'), undefined)
  t.equal(matcher.match('/n/' + '1'.repeat(DEFAULT_MAX_PARAM_LENGTH + 1)), undefined, 'params are bounded')
  t.equal(compileRoutes({ n: '/n/:id' }, { maxParamLength: 3 }).match('/n/1234'), undefined)
})

t.test('the most specific path route wins, then RegExp routes in order', async (t) => {
  const matcher = compileRoutes({
    early: /^\/r\/1$/,
    param: '/a/:x',
    fixed: '/a/b',
    first: /^\/r\/\d+$/,
    second: /^\/r\/.+$/,
    catchAll: /.*/,
  })
  t.equal(matcher.match('/r/1')!.route.name, 'early', 'declaration order among RegExp routes')
  t.equal(matcher.match('/a/b')!.route.name, 'fixed')
  t.equal(matcher.match('/a/c')!.route.name, 'param')
  t.equal(matcher.match('/r/2')!.route.name, 'first')
  t.equal(matcher.match('/r/x')!.route.name, 'second')
  t.equal(matcher.match('/zzz')!.route.name, 'catchAll')
})

t.test('RegExp routes must match the whole name', async (t) => {
  // The seed's own pattern, unanchored. Taken as-is, it would accept any name that merely contains
  // a chat path, and each such name would be a new namespace: anchoring closes that door.
  const seed = /category\/(\d+)\/item\/(\d+)\/chat/
  t.ok(seed.test('/evil/category/1/item/2/chat/more'), 'unanchored, the seed pattern accepts padding')
  const matcher = compileRoutes({ chat: seed })
  t.same(matcher.match('/category/1/item/2/chat')!.captures, ['1', '2'], 'the leading / may be left out')
  t.equal(matcher.match('/evil/category/1/item/2/chat'), undefined)
  t.equal(matcher.match('/category/1/item/2/chat/more'), undefined)
  t.same(compileRoutes({ slash: /\/x\/(\d+)/ }).match('/x/1')!.captures, ['1'], 'or kept in')
  t.same(compileRoutes({ alt: /a|ab/ }).match('/ab')!.route.name, 'alt', 'alternation is grouped before anchoring')
})

t.test('RegExp flags that keep state or change anchors are dropped', async (t) => {
  const matcher = compileRoutes({ g: /^\/g\/(\d+)$/g, m: /x$/m, i: /^\/i$/i })
  t.ok(matcher.match('/g/1'))
  t.ok(matcher.match('/g/1'), 'no lastIndex carried between matches')
  t.equal(matcher.match('/x\n/y'), undefined, 'no multiline anchors')
  t.ok(matcher.match('/I'), 'other flags are kept')
})

t.test('RegExp named groups become params; unmatched groups stay undefined', async (t) => {
  const matcher = compileRoutes({ r: /^\/r\/(?<id>\d+)(?:\/(?<tail>t))?$/ })
  const match = matcher.match('/r/5')!
  t.same(match.params, { id: '5', tail: undefined })
  t.same(match.captures, ['5', undefined])
})

t.test('route objects keep their authorize', async (t) => {
  const authorize = () => true
  const matcher = compileRoutes({ a: { path: '/a/:x', authorize }, b: { path: /b/ } })
  t.equal(matcher.routes.get('a')!.authorize, authorize)
  t.equal(matcher.routes.get('b')!.authorize, undefined)
})

t.test('routes are validated when registered, with stable codes', async (t) => {
  const bad: [Record<string, unknown>, string][] = [
    [{ 'bad name': '/x' }, codes.ROUTE_NAME],
    [{ '': '/x' }, codes.ROUTE_NAME],
    [{ 'a.b': '/x' }, codes.ROUTE_NAME],
    [{ a: 'x' }, codes.ROUTE_PATTERN],
    [{ a: '/' }, codes.ROUTE_PATTERN],
    [{ a: '/x/' }, codes.ROUTE_PATTERN],
    [{ a: '/x//y' }, codes.ROUTE_PATTERN],
    [{ a: '/*/x' }, codes.ROUTE_PATTERN],
    [{ a: '/:x/:x' }, codes.ROUTE_PATTERN],
    [{ a: '/x/..' }, codes.ROUTE_PATTERN],
    [{ a: '/x y' }, codes.ROUTE_PATTERN],
    [{ a: '/x%20' }, codes.ROUTE_PATTERN],
    [{ a: '/:1x' }, codes.ROUTE_PATTERN],
    [{ a: '/n/:id((a+)+$)' }, codes.ROUTE_UNSAFE_REGEX],
    [{ a: /(a+)+$/ }, codes.ROUTE_UNSAFE_REGEX],
    [{ a: /^(\w+\s?)*$/ }, codes.ROUTE_UNSAFE_REGEX],
    [{ a: { path: '/x', maxNamespaces: -1 } }, codes.ROUTE_PATTERN],
    [{ a: { path: '/x', maxNamespaces: 1.5 } }, codes.ROUTE_PATTERN],
    [{ a: '/n/:id(' }, codes.ROUTE_PATTERN],
    [{ a: '/n/:id([)' }, codes.ROUTE_PATTERN],
    [{ a: 42 }, codes.ROUTE_PATTERN],
    [{ a: { path: 42 } }, codes.ROUTE_PATTERN],
    [{ a: { path: '/x', authorize: 'yes' } }, codes.ROUTE_PATTERN],
    [{ a: null }, codes.ROUTE_PATTERN],
    [{ a: '/x/:id', b: '/x/:other' }, codes.ROUTE_DUPLICATE],
    [{ a: '/x', b: '/x' }, codes.ROUTE_DUPLICATE],
    [{ a: '/x/:id(\\d+)', b: '/x/:n(^\\d+$)' }, codes.ROUTE_DUPLICATE],
    [{ a: '/x/*', b: '/x/*' }, codes.ROUTE_DUPLICATE],
    [{ a: '/x/:__proto__' }, codes.ROUTE_PATTERN],
  ]
  for (const [routes, code] of bad) {
    t.throws(() => compileRoutes(routes as never), { code }, JSON.stringify(routes))
  }
  t.throws(() => compileRoutes(null as never), { code: codes.OPTIONS })
})

t.test('a param constraint covers the whole segment, with or without ^ and $', async (t) => {
  const matcher = compileRoutes({ bare: '/b/:id(\\d+)', alt: '/a/:x(one|two)', anchored: '/c/:id(^[a-z]+$)', dollar: '/d/:p(a\\$)' })
  t.ok(matcher.match('/b/12'))
  t.equal(matcher.match('/b/12x'), undefined)
  t.equal(matcher.match('/b/x12'), undefined)
  t.ok(matcher.match('/a/two'))
  t.equal(matcher.match('/a/twofold'), undefined, 'an alternation is grouped before it is anchored')
  t.ok(matcher.match('/c/abc'))
  t.equal(matcher.match('/c/ab1'), undefined)
  t.ok(compileRoutes({ d: '/d/:p(a\\$)' }).routes.get('d'), 'an escaped $ is kept')
  t.equal(matcher.match('/d/a'), undefined, 'an escaped $ is a literal $, not an anchor')
})

t.test('a duplicate names the earlier route', async (t) => {
  t.throws(() => compileRoutes({ first: '/x/:a', second: '/x/:b' }), { code: codes.ROUTE_DUPLICATE, message: /"second".*route "first"/ })
})

t.test('unsafe RegExps can be accepted on purpose', async (t) => {
  const matcher = compileRoutes({ a: /^\/(a+)+$/, b: '/n/:id((a+)+$)' }, { allowUnsafeRegex: true })
  t.ok(matcher.match('/aaa'))
  t.ok(matcher.match('/n/aa'))
})

t.test('maxNamespaces per route is kept', async (t) => {
  const matcher = compileRoutes({ a: { path: '/a/:x', maxNamespaces: 3 }, b: '/b', c: { path: /c/, maxNamespaces: Infinity } })
  t.equal(matcher.routes.get('a')!.maxNamespaces, 3)
  t.equal(matcher.routes.get('b')!.maxNamespaces, Infinity)
  t.equal(matcher.routes.get('c')!.maxNamespaces, Infinity)
})

t.test('build: reverse routing of path routes', async (t) => {
  const matcher = compileRoutes({ chat: '/c/:a/i/:b', files: '/f/*', num: '/n/:id(^\\d+$)', legacy: /x/ })
  t.equal(matcher.build('chat', { a: '1', b: '2' }), '/c/1/i/2')
  t.equal(matcher.build('files', { '*': 'x/y' }), '/f/x/y')
  t.equal(matcher.build('num', { id: '7' }), '/n/7')
  t.throws(() => matcher.build('chat', { a: '1' }), { code: codes.REVERSE_ROUTE, message: /param b / })
  t.throws(() => matcher.build('files', {}), { code: codes.REVERSE_ROUTE, message: /param \* / })
  t.throws(() => matcher.build('chat', { a: 1, b: '2' }), { code: codes.REVERSE_ROUTE })
  t.throws(() => matcher.build('legacy', {}), { code: codes.REVERSE_ROUTE })
  t.throws(() => matcher.build('nope', {}), { code: codes.REVERSE_ROUTE })
})

// Property-based: the matcher against an independent, naive oracle, over 100 000 generated names.

const routes = {
  chat: '/category/:categoryId/item/:itemId/chat',
  tenant: '/t/:tenant',
  files: '/files/*',
  num: '/n/:id(^\\d+$)',
  lobby: '/lobby',
  room: /room\/([a-z]+)/,
  legacy: /^\/legacy\/(?<id>\d+)$/,
} as const

// A path pattern matches a name if the segments line up: literals equal, params non-empty and at
// most 100 characters (and fitting their constraint), the wildcard taking the rest.
function oracle(pattern: string | RegExp, name: string): boolean {
  if (pattern instanceof RegExp) {
    const whole = new RegExp(`^(?:${pattern.source})$`, pattern.flags)
    return whole.test(name) || whole.test(name.slice(1))
  }
  const want = pattern.split('/')
  const got = name.split('/')
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    if (w === '*') return got.slice(i).join('/').length > 0
    const g = got[i]
    if (g === undefined) return false
    const param = /^:\w+(?:\((.+)\))?$/.exec(w)
    if (param) {
      if (g === '' || g.length > 100 || (param[1] && !new RegExp(param[1]).test(g))) return false
    } else if (w !== g) return false
  }
  return got.length === want.length
}

const segment = fc.oneof(
  fc.constantFrom('category', 'item', 'chat', 't', 'files', 'n', 'lobby', 'room', 'legacy', '1', '42', 'abc', '', '.', '..'),
  fc.stringMatching(/^[a-z0-9._~-]{1,12}$/),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.constantFrom('%2F', '%00', '\n', '*', '(', ')', '?x=1', '#', 'é', '\u0000', '1'.repeat(120)),
)
const shaped = fc
  .tuple(fc.constantFrom('/category/#/item/#/chat', '/t/#', '/files/#/#', '/n/#', '/room/#', '/legacy/#', '/lobby'), segment, segment)
  .map(([template, a, b]) => template.replace('#', a).replace('#', b))
const name = fc.oneof(
  shaped,
  shaped.map((n) => '/' + n),
  fc.array(segment, { minLength: 1, maxLength: 8 }).map((parts) => '/' + parts.join('/')),
  fc.array(segment, { minLength: 1, maxLength: 8 }).map((parts) => '//' + parts.join('/')),
  fc.string({ maxLength: 300, unit: 'binary' }),
)

t.test('property: nothing throws, nothing matches outside its pattern, nothing matching is missed', async (t) => {
  const matcher = compileRoutes(routes)
  let matched = 0
  fc.assert(
    fc.property(name, (raw) => {
      const parsed = parseName(raw)
      if (isProblem(parsed)) return true
      const canonical = parsed.canonical
      const found = matcher.match(canonical)
      if (found) {
        matched++
        if (!oracle(found.route.pattern, canonical)) return false
        if (found.route.kind === 'path' && matcher.build(found.route.name, found.params) !== canonical) return false
        return true
      }
      return Object.values(routes).every((pattern) => !oracle(pattern, canonical))
    }),
    { numRuns: 100_000, seed: 20261122 },
  )
  t.ok(matched > 1000, `a fair share of generated names matched a route (${matched})`)
})

t.test('property: matching time grows no faster than the input on long and adversarial names', async (t) => {
  const matcher = compileRoutes(routes)
  const shapes = [
    (n: number) => '/category/' + '1'.repeat(n) + '/item/2/chat',
    (n: number) => '/room/' + 'a'.repeat(n),
    (n: number) => '/files/' + 'a/'.repeat(n / 2) + 'b',
    (n: number) => '/legacy/' + '9'.repeat(n) + 'x',
    (n: number) => '/' + 'a/'.repeat(n / 2) + 'chat',
  ]
  // Fastest of alternating rounds, as a ratio: no wall-clock limit, only the shape of the growth. Load
  // only ever adds time, so the fastest round is the least disturbed; linear growth gives about 1,
  // quadratic growth 64.
  const time = (input: string): number => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < 200; i++) matcher.match(input)
    return Number(process.hrtime.bigint() - start) / input.length
  }
  for (const shape of shapes) {
    const small = shape(1024)
    const large = shape(64 * 1024)
    const perCharSmall: number[] = []
    const perCharLarge: number[] = []
    for (let round = 0; round < 9; round++) {
      perCharSmall.push(time(small))
      perCharLarge.push(time(large))
    }
    const ratio = Math.min(...perCharLarge) / Math.min(...perCharSmall)
    t.ok(ratio < 16, `${shape(4)}: cost per character at 64 KB is ${ratio.toFixed(2)} x that at 1 KB`)
  }
})

t.test("classify: a CONNECT's name is its match, or the code to refuse it with; resolve: the match only", async (t) => {
  const matcher = compileRoutes({ chat: '/c/:id' })
  t.same((classify(matcher, '/c/1', 256) as { params: unknown }).params, { id: '1' })
  t.equal(classify(matcher, '/nowhere', 256), codes.NO_ROUTE)
  t.equal(classify(matcher, '//c/1', 256), codes.INVALID_NAME, 'a spelling that is not canonical')
  t.equal(classify(matcher, '/c/' + 'x'.repeat(300), 256), codes.INVALID_NAME, 'too long')
  t.equal(classify(matcher, 7, 256), codes.INVALID_NAME)
  t.equal(resolve(matcher, '/c/1', 256)?.route.name, 'chat')
  t.equal(resolve(matcher, '/nowhere', 256), undefined)
})
