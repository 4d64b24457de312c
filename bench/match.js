// Match cost versus route count: the router's matcher against find-my-way (its matcher before lib/route-table.ts),
// rou3 (interpreted and compiled), path-to-regexp (one matcher per route, tried in order) and the
// io-handler snippet's way (every RegExp tried, no early exit), on the same route sets and the same names.
import findMyWay from 'find-my-way'
import { match as pathMatch } from 'path-to-regexp'
import { addRoute, createRouter, findRoute } from 'rou3'
import { compileRouter } from 'rou3/compiler'
import { makeLookups, makeRoutes, syntax } from './routes.js'
import { pairedRatios, roundOrder, summary } from './stats.js'
import { internal } from './subject.js'

const { compileRoutes } = await internal('matcher.js')
const { isProblem, parseName } = await internal('name.js')
// run.js --candidate=DIR: the matcher of another build, side by side with the one under test.
const candidate = process.env.NS_ROUTER_BENCH_CANDIDATE && (await internal('matcher.js', process.env.NS_ROUTER_BENCH_CANDIDATE))

const byName = (routes) => Object.fromEntries(routes.map((r) => [r.name, r.path]))

/** Each builds a lookup function `(name) => truthy on a match` from a route set. */
export const CONTENDERS = {
  router: (routes) => {
    const matcher = compileRoutes(byName(routes))
    return (name) => matcher.match(name)
  },
  // What the router does for each CONNECT: the name check (name.ts), then the matcher.
  'router+name': (routes) => {
    const matcher = compileRoutes(byName(routes))
    return (name) => {
      const parsed = parseName(name)
      return isProblem(parsed) ? undefined : matcher.match(parsed.canonical)
    }
  },
  ...(candidate && {
    candidate: (routes) => {
      const matcher = candidate.compileRoutes(byName(routes))
      return (name) => matcher.match(name)
    },
  }),
  'find-my-way': (routes) => {
    // The settings the router used with it.
    const tree = findMyWay({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 100 })
    for (const route of routes) tree.on('GET', route.path, () => {}, route)
    return (name) => tree.find('GET', name)
  },
  rou3: (routes) => {
    const router = createRouter()
    for (const route of routes) addRoute(router, 'GET', syntax.rou3(route.path), route)
    return (name) => findRoute(router, 'GET', name)
  },
  'rou3 compiled': (routes) => {
    const router = createRouter()
    for (const route of routes) addRoute(router, 'GET', syntax.rou3(route.path), route)
    const find = compileRouter(router)
    return (name) => find('GET', name)
  },
  'path-to-regexp': (routes) => {
    const matchers = routes.map((route) => pathMatch(syntax.pathToRegexp(route.path), { decode: false }))
    return (name) => {
      for (const matcher of matchers) {
        const found = matcher(name)
        if (found) return found
      }
      return undefined
    }
  },
  'snippet RegExp list': (routes) => {
    const regexps = routes.map((route) => syntax.regexp(route.path))
    return (name) => {
      let matched
      for (const regexp of regexps) {
        const found = name.match(regexp)
        if (found) matched = found
      }
      return matched
    }
  },
}

/** The maintained libraries the router must be no slower than. */
export const LIBRARIES = ['find-my-way', 'rou3', 'rou3 compiled', 'path-to-regexp']

// ns per lookup over at least `minMs`, cycling through `names` from where the last sample stopped.
// Each contender gets its own copy of this loop (new Function), so its call site stays monomorphic
// and the library is inlined as it would be in a server, instead of all sharing one megamorphic call.
const SAMPLE = `
  let ops = 0, found = 0, batch = 1, j = cursor.j, elapsedMs = 0
  const start = process.hrtime.bigint()
  while (elapsedMs < minMs) {
    for (let b = 0; b < batch; b++) {
      if (lookup(names[j])) found++
      j = j + 1 === names.length ? 0 : j + 1
    }
    ops += batch
    if (batch < 4096) batch *= 2
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6
  }
  cursor.j = j
  cursor.found += found
  return (elapsedMs * 1e6) / ops`
const makeSampler = () => new Function('process', 'lookup', 'names', 'minMs', 'cursor', SAMPLE).bind(null, process)

// Every contender must agree on what is a hit; a subset keeps the linear ones quick at 10,000 routes.
function check(lookup, { hits, misses }) {
  return hits.slice(0, 64).every((name) => lookup(name)) && misses.slice(0, 64).every((name) => !lookup(name))
}

export async function runMatch({ sizes, rounds, minMs, lookups }) {
  const contenders = Object.keys(CONTENDERS)
  const subjects = contenders.filter((name) => name === 'router' || name === 'candidate')
  const cases = sizes.map((size) => {
    const routes = makeRoutes(size)
    const names = makeLookups(size, lookups)
    const built = {}
    for (const name of contenders) {
      const started = performance.now()
      const lookup = CONTENDERS[name](routes)
      const entry = { lookup, buildMs: performance.now() - started, correct: check(lookup, names), hits: [], misses: [] }
      entry.sampleHits = makeSampler()
      entry.sampleMisses = makeSampler()
      entry.cursors = { hit: { j: 0, found: 0 }, miss: { j: 0, found: 0 } }
      // Untimed warm-up: the first rounds would otherwise time the JIT, not the router.
      entry.sampleHits(lookup, names.hits, minMs, entry.cursors.hit)
      entry.sampleMisses(lookup, names.misses, minMs, entry.cursors.miss)
      built[name] = entry
    }
    return { size, names, built }
  })

  for (let round = 0; round < rounds; round++) {
    for (const { names, built } of cases) {
      global.gc?.()
      for (const name of roundOrder(contenders, round)) {
        const entry = built[name]
        entry.hits.push(entry.sampleHits(entry.lookup, names.hits, minMs, entry.cursors.hit))
        entry.misses.push(entry.sampleMisses(entry.lookup, names.misses, minMs, entry.cursors.miss))
      }
    }
  }

  const mixed = (entry) => entry.hits.map((hit, i) => (hit + entry.misses[i]) / 2)
  const results = cases.map(({ size, built }) => {
    const perContender = Object.fromEntries(
      contenders.map((name) => {
        const entry = built[name]
        return [name, { buildMs: entry.buildMs, correct: entry.correct, hitNs: summary(entry.hits), missNs: summary(entry.misses), mixedNs: summary(mixed(entry)), samples: { hits: entry.hits, misses: entry.misses } }]
      }),
    )
    // The fastest maintained library on this set, by its median over the rounds.
    const fastest = LIBRARIES.reduce((a, b) => (perContender[a].mixedNs.median <= perContender[b].mixedNs.median ? a : b))
    const vsFastest = Object.fromEntries(subjects.map((subject) => [subject, summary(pairedRatios(mixed(built[fastest]), mixed(built[subject])))]))
    return { size, contenders: perContender, fastest, vsFastest }
  })

  // Every contender's, to tell the router's growth from its library's.
  const growth = Object.fromEntries(
    contenders.map((subject) => {
      const first = cases[0].built[subject]
      const last = cases.at(-1).built[subject]
      return [subject, {
        from: cases[0].size,
        to: cases.at(-1).size,
        hits: summary(pairedRatios(last.hits, first.hits)),
        misses: summary(pairedRatios(last.misses, first.misses)),
        mixed: summary(pairedRatios(mixed(last), mixed(first))),
      }]
    }),
  )
  return { sizes, rounds, minMs, lookups, subjects, results, growth }
}
