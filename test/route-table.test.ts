import fc from 'fast-check'
import t from 'tap'
import { createRouteTable, type Segment } from '../lib/route-table.js'

const DIGITS = /^(?:\d+)$/

// The tests' pattern syntax: 'a', ':' (plain param), '#' (a param constrained to digits), '*'.
function segmentsOf(pattern: string): Segment[] {
  return pattern
    .slice(1)
    .split('/')
    .map((part): Segment => {
      if (part === '*') return { kind: 'wildcard' }
      if (part === ':') return { kind: 'param', constraint: undefined }
      if (part === '#') return { kind: 'param', constraint: DIGITS }
      return { kind: 'static', text: part }
    })
}

function tableOf(patterns: readonly string[], maxParamLength = 100) {
  const table = createRouteTable<string>(maxParamLength)
  const added: string[] = []
  for (const pattern of patterns) if (table.add(segmentsOf(pattern), pattern) === undefined) added.push(pattern)
  const find = (name: string) => {
    const values: string[] = []
    const found = table.find(name, values)
    return found === undefined ? undefined : { found, values }
  }
  return { table, added, find }
}

t.test('literals, params, constraints and the wildcard, with their values in order', async (t) => {
  const { find } = tableOf(['/c/:/i/:/chat', '/files/*', '/n/#', '/lobby', '/org/o1/p/:/b/:'])
  t.same(find('/c/1/i/2/chat'), { found: '/c/:/i/:/chat', values: ['1', '2'] })
  t.same(find('/files/a/b'), { found: '/files/*', values: ['a/b'] })
  t.same(find('/n/12'), { found: '/n/#', values: ['12'] })
  t.same(find('/lobby'), { found: '/lobby', values: [] })
  t.same(find('/org/o1/p/x/b/y'), { found: '/org/o1/p/:/b/:', values: ['x', 'y'] })
  for (const miss of ['', 'lobby', '/', '/lobby/', '/lobbyx', '/lobb', '/n/1a', '/files', '/files/', '/c/1/i/2', '/c/1/i/2/chat/', '/c//i/2/chat', '/nope', '/org/o1/p/x/b']) {
    t.equal(find(miss), undefined, JSON.stringify(miss))
  }
})

t.test('the most specific pattern wins, segment by segment, with backtracking', async (t) => {
  const { find } = tableOf(['/a/b/c', '/a/:/d', '/a/#/e', '/a/c/*', '/:/x', '/*', '/a/b'])
  t.same(find('/a/b/c'), { found: '/a/b/c', values: [] })
  t.same(find('/a/b/d'), { found: '/a/:/d', values: ['b'] }, 'a literal that leads nowhere gives way to a param')
  t.same(find('/a/1/e'), { found: '/a/#/e', values: ['1'] }, 'a constrained param before a plain one')
  t.same(find('/a/1/d'), { found: '/a/:/d', values: ['1'] })
  t.same(find('/a/c/zz/y'), { found: '/a/c/*', values: ['zz/y'] })
  t.same(find('/a/c/d'), { found: '/a/c/*', values: ['d'] }, 'the wildcard under a literal before a param')
  t.same(find('/a/x'), { found: '/:/x', values: ['a'] }, 'then patterns that start with a param')
  t.same(find('/q/r'), { found: '/*', values: ['q/r'] })
  t.same(find('/a/b'), { found: '/a/b', values: [] })
})

t.test('a first segment with several prefixes tries the longest first', async (t) => {
  const { find } = tableOf(['/a/b/c/:', '/a/b/:/z', '/a/:/q', '/a/b/c'])
  t.same(find('/a/b/c/d'), { found: '/a/b/c/:', values: ['d'] })
  t.same(find('/a/b/c/z'), { found: '/a/b/c/:', values: ['z'] })
  t.same(find('/a/b/y/z'), { found: '/a/b/:/z', values: ['y'] })
  t.same(find('/a/b/q'), { found: '/a/:/q', values: ['b'] })
  t.same(find('/a/b/c'), { found: '/a/b/c', values: [] })
  t.equal(find('/a/b'), undefined, 'a name shorter than every prefix')
  t.equal(find('/a/x/y/z'), undefined)
})

t.test('a pattern matching the same names as an earlier one is reported, whatever its params are called', async (t) => {
  const table = createRouteTable<string>(100)
  t.equal(table.add(segmentsOf('/x/:'), 'first'), undefined)
  t.equal(table.add(segmentsOf('/x/:'), 'second'), 'first')
  t.equal(table.add(segmentsOf('/x/#'), 'constrained'), undefined, 'a constraint makes another pattern')
  t.equal(table.add(segmentsOf('/x/#'), 'again'), 'constrained')
  t.equal(table.add(segmentsOf('/x/*'), 'rest'), undefined)
  t.equal(table.add(segmentsOf('/x/*'), 'rest again'), 'rest')
  t.equal(table.add(segmentsOf('/:'), 'root'), undefined)
  t.equal(table.add(segmentsOf('/:'), 'root again'), 'root')
  t.equal(table.add(segmentsOf('/x'), 'static'), undefined)
  t.equal(table.add(segmentsOf('/x'), 'static again'), 'static')
})

t.test('params are bounded in length; the wildcard is not', async (t) => {
  const { find } = tableOf(['/p/:', '/w/*'], 3)
  t.ok(find('/p/abc'))
  t.equal(find('/p/abcd'), undefined)
  t.ok(find('/w/abcdef'))
})

t.test('many literals after a param go to a Map, and still match', async (t) => {
  const patterns = Array.from({ length: 20 }, (_, i) => `/m/:/s${i}`)
  const { find } = tableOf([...patterns, '/m/:/s3'])
  for (let i = 0; i < 20; i++) t.same(find(`/m/x/s${i}`), { found: `/m/:/s${i}`, values: ['x'] })
  t.equal(find('/m/x/s20'), undefined)
})

t.test('prefixes whose hashes collide are told apart', async (t) => {
  // Two first segments with the same hash, found by trying names until two collide (about 2^15 tries).
  const seen = new Map<number, string>()
  let pair: [string, string] | undefined
  for (let i = 0; !pair; i++) {
    const text = `k${i}`
    const hash = hashOfForTest(`/${text}`)
    const other = seen.get(hash)
    if (other !== undefined) pair = [other, text]
    else seen.set(hash, text)
  }
  const [a, b] = pair
  // As first segments: one First record for both, so every lookup takes the general path.
  const first = tableOf([`/${a}/r/:`, `/${b}/r/:`, `/${a}`, `/${b}`])
  t.same(first.find(`/${a}/r/1`), { found: `/${a}/r/:`, values: ['1'] })
  t.same(first.find(`/${b}/r/2`), { found: `/${b}/r/:`, values: ['2'] })
  t.same(first.find(`/${a}`), { found: `/${a}`, values: [] })
  t.same(first.find(`/${b}`), { found: `/${b}`, values: [] })
  // As whole prefixes under one first segment: one chain in the table.
  const chained = tableOf([`/z/${a}/:`, `/z/${b}/:`, '/z/q/:'])
  t.same(chained.find(`/z/${a}/1`), { found: `/z/${a}/:`, values: ['1'] })
  t.same(chained.find(`/z/${b}/2`), { found: `/z/${b}/:`, values: ['2'] })
  t.equal(chained.find('/z/other/2'), undefined)
})

// The same FNV-1a as route-table.ts, to find a collision. Should the two drift apart, the names above
// no longer collide in the table and its collision branches lose their coverage, which fails the run.
function hashOfForTest(text: string): number {
  let hash = 0x811c9dc5 & 0x3fffffff
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) & 0x3fffffff
  return hash
}

// Property-based, against a naive oracle: among the patterns that match a name, the one whose
// segments rank lowest from the left (literal, then constrained param, then param, then wildcard).
function rankOf(part: string): number {
  return part === '*' ? 3 : part === ':' ? 2 : part === '#' ? 1 : 0
}
function matches(pattern: string, name: string): string[] | undefined {
  const want = pattern.slice(1).split('/')
  const got = name.slice(1).split('/')
  if (!name.startsWith('/')) return undefined
  const values: string[] = []
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    if (w === '*') {
      const rest = got.slice(i).join('/')
      return i < got.length && rest.length > 0 ? [...values, rest] : undefined
    }
    const g = got[i]
    if (g === undefined) return undefined
    if (w === ':' || w === '#') {
      if (g === '' || g.length > 100 || (w === '#' && !DIGITS.test(g))) return undefined
      values.push(g)
    } else if (w !== g) return undefined
  }
  return got.length === want.length ? values : undefined
}
function oracle(patterns: readonly string[], name: string) {
  let best: { found: string; values: string[]; ranks: number[] } | undefined
  for (const pattern of patterns) {
    const values = matches(pattern, name)
    if (!values) continue
    const ranks = pattern.slice(1).split('/').map(rankOf)
    if (!best || lexLess(ranks, best.ranks)) best = { found: pattern, values, ranks }
  }
  return best && { found: best.found, values: best.values }
}
function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!
  return a.length < b.length
}

const part = fc.constantFrom('a', 'b', 'c', ':', '#')
const pattern = fc
  .tuple(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([parts, wildcard]) => '/' + (wildcard ? [...parts.slice(0, -1), '*'] : parts).join('/'))
const name = fc.oneof(
  fc.array(fc.constantFrom('a', 'b', 'c', '1', '22', 'x', ''), { minLength: 1, maxLength: 5 }).map((parts) => '/' + parts.join('/')),
  fc.string({ maxLength: 12 }),
)

t.test('property: the table finds what the naive oracle finds, with the same values', async (t) => {
  let matched = 0
  fc.assert(
    fc.property(fc.array(pattern, { minLength: 1, maxLength: 12 }), fc.array(name, { minLength: 1, maxLength: 20 }), (patterns, names) => {
      const { added, find } = tableOf(patterns)
      return names.every((n) => {
        const expected = oracle(added, n)
        if (expected) matched++
        const actual = find(n)
        return JSON.stringify(actual) === JSON.stringify(expected)
      })
    }),
    { numRuns: 5_000, seed: 20261122 },
  )
  t.ok(matched > 5_000, `a fair share of names matched (${matched})`)
})
