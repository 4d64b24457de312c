import createDebug from 'debug'
import { isSafeRegex } from './regex-safety.js'
import { codes, NamespaceRouterError, type ErrorCode } from './errors.js'
import { isProblem, parseName } from './name.js'
import { createRouteTable, type Segment } from './route-table.js'
import type { Authorize, RouteInput } from './types.js'

const debug = createDebug('socket.io-ns-router:matcher')

/**
 * Default upper bound of one param's length, in characters.
 *
 * @example
 * compileRoutes(routes, { maxParamLength: DEFAULT_MAX_PARAM_LENGTH * 2 })
 */
export const DEFAULT_MAX_PARAM_LENGTH = 100

// Route names become part of `dynamic.group.<name>`: keep them to what reads well in an event name.
const ROUTE_NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
// The same characters as a name's segments (name.ts): a literal that no name can contain is a mistake.
const LITERAL = /^[A-Za-z0-9\-._~]+$/
const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)(?:\((.+)\))?$/
// A RegExp route with one of these flags would keep state between matches (g, y) or let `^`/`$`
// match at a line break inside a name (m).
const DROPPED_FLAGS = /[gym]/g

/**
 * A route after validation.
 *
 * @example
 * compileRoutes({ chat: '/c/:id' }).routes.get('chat') // { name: 'chat', kind: 'path', keys: ['id'], ... }
 */
export interface CompiledRoute {
  readonly name: string
  readonly kind: 'path' | 'regexp'
  /** The pattern as given. */
  readonly pattern: string | RegExp
  readonly authorize: Authorize | undefined
  /** Cap on this route's live namespaces (Infinity when unset). */
  readonly maxNamespaces: number
  /** Path routes: the param keys in pattern order (`'*'` for the wildcard). */
  readonly keys: readonly string[]
}

/**
 * A route match.
 *
 * @example
 * const { route, params, captures } = matcher.match('/c/1') as RouteMatch
 */
export interface RouteMatch {
  readonly route: CompiledRoute
  readonly params: Readonly<Record<string, string | undefined>>
  readonly captures: readonly (string | undefined)[]
}

/**
 * The compiled routes: path patterns in a route table (route-table.ts), RegExp routes in order.
 *
 * @example
 * const matcher = compileRoutes({ chat: '/category/:categoryId/item/:itemId/chat' })
 * matcher.match('/category/1/item/2/chat')?.params // { categoryId: '1', itemId: '2' }
 */
export interface Matcher {
  readonly routes: ReadonlyMap<string, CompiledRoute>
  /** Matches a canonical name: path routes first (most specific wins), then RegExp routes in order. */
  match(canonical: string): RouteMatch | undefined
  /** Builds the canonical name of a path route from its params (reverse routing). */
  build(route: string, params: Readonly<Record<string, unknown>>): string
}

/**
 * What a CONNECT's name is: its route match, or the code to refuse it with. Namespaces are only ever
 * created under canonical names: any other spelling is `NS_INVALID_NAME` here (the `//` spelling is
 * aliased per connection before socket.io sees it: namespace-alias.ts).
 *
 * @example
 * classify(matcher, '/category/1/item/2/chat', 256) // { route, params, captures }
 * classify(matcher, '/nowhere', 256) // 'NS_NO_ROUTE'
 */
export function classify(matcher: Matcher, name: unknown, maxNameLength: number): RouteMatch | ErrorCode {
  const parsed = parseName(name, maxNameLength)
  if (isProblem(parsed) || parsed.canonical !== name) return codes.INVALID_NAME
  return matcher.match(parsed.canonical) ?? codes.NO_ROUTE
}

/**
 * The route match of a canonical routed name, or undefined.
 *
 * @example
 * resolve(matcher, '/category/1/item/2/chat', 256)?.route.name // 'chat'
 */
export function resolve(matcher: Matcher, name: unknown, maxNameLength: number): RouteMatch | undefined {
  const found = classify(matcher, name, maxNameLength)
  return typeof found === 'string' ? undefined : found
}

/**
 * Options of {@link compileRoutes}.
 *
 * @example
 * compileRoutes(routes, { maxParamLength: 40, allowUnsafeRegex: false })
 */
export interface MatcherOptions {
  readonly maxParamLength?: number
  /** Accept RegExps (routes and param constraints) that the ReDoS check flags as prone to catastrophic backtracking. */
  readonly allowUnsafeRegex?: boolean
}

/**
 * Validates routes and compiles them. Throws a {@link NamespaceRouterError} with code
 * `ERR_ROUTE_NAME`, `ERR_ROUTE_PATTERN`, `ERR_ROUTE_UNSAFE_REGEX` or `ERR_ROUTE_DUPLICATE` for the
 * first bad route.
 *
 * @example
 * compileRoutes({ 'bad name': '/x' }) // throws ERR_ROUTE_NAME
 */
export function compileRoutes(routes: Readonly<Record<string, RouteInput>>, options: MatcherOptions = {}): Matcher {
  if (typeof routes !== 'object' || routes === null) {
    throw new NamespaceRouterError(codes.OPTIONS, 'routes must be an object of route names to patterns')
  }
  const maxParamLength = options.maxParamLength ?? DEFAULT_MAX_PARAM_LENGTH
  const table = createRouteTable<PathEntry>(maxParamLength)
  const compiled = new Map<string, CompiledRoute>()
  const regexps: { route: CompiledRoute; regexp: RegExp }[] = []

  for (const [name, input] of Object.entries(routes)) {
    if (!ROUTE_NAME.test(name)) {
      throw new NamespaceRouterError(codes.ROUTE_NAME, `route name ${JSON.stringify(name)} cannot be used in an event name`)
    }
    const { pattern, authorize, maxNamespaces } = splitInput(name, input)
    if (typeof pattern === 'string') {
      const { segments, keys } = parsePattern(name, pattern, options.allowUnsafeRegex === true)
      const route: CompiledRoute = { name, kind: 'path', pattern, authorize, maxNamespaces, keys }
      const earlier = table.add(segments, { route, createParams: paramsFactory(keys) })
      if (earlier) throw duplicate(route, earlier.route)
      compiled.set(name, route)
    } else {
      const route: CompiledRoute = { name, kind: 'regexp', pattern, authorize, maxNamespaces, keys: [] }
      const regexp = anchor(pattern)
      if (!options.allowUnsafeRegex && !isSafeRegex(regexp)) {
        throw new NamespaceRouterError(
          codes.ROUTE_UNSAFE_REGEX,
          `route ${JSON.stringify(name)}: ${String(pattern)} is prone to catastrophic backtracking (allowUnsafeRegex to accept it)`,
        )
      }
      regexps.push({ route, regexp })
      compiled.set(name, route)
    }
    debug('route %s: %s', name, String(pattern))
  }

  return {
    routes: compiled,
    match(canonical) {
      const captures: string[] = []
      const found = table.find(canonical, captures)
      if (found !== undefined) return { route: found.route, params: found.createParams(captures), captures }
      for (const { route, regexp } of regexps) {
        const m = regexp.exec(canonical)
        if (m) return { route, params: { ...m.groups }, captures: m.slice(1) }
      }
      return undefined
    },
    build(routeName, params) {
      const route = compiled.get(routeName)
      if (!route || route.kind !== 'path') {
        throw new NamespaceRouterError(codes.REVERSE_ROUTE, `${JSON.stringify(routeName)} is not a path route`)
      }
      const pattern = route.pattern as string
      return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)(?:\([^/]*\))?|\*$/g, (token, key: string | undefined) => {
        const value = params[key ?? '*']
        if (typeof value !== 'string' || value === '') {
          throw new NamespaceRouterError(codes.REVERSE_ROUTE, `route ${routeName}: param ${key ?? '*'} must be a non-empty string`)
        }
        return value
      })
    },
  }
}

function splitInput(name: string, input: unknown): { pattern: string | RegExp; authorize: Authorize | undefined; maxNamespaces: number } {
  if (typeof input === 'string' || input instanceof RegExp) return { pattern: input, authorize: undefined, maxNamespaces: Infinity }
  if (typeof input === 'object' && input !== null && 'path' in input) {
    const { path, authorize, maxNamespaces = Infinity } = input as { path: unknown; authorize?: unknown; maxNamespaces?: unknown }
    if (
      (typeof path === 'string' || path instanceof RegExp) &&
      (authorize === undefined || typeof authorize === 'function') &&
      (maxNamespaces === Infinity || (Number.isInteger(maxNamespaces) && (maxNamespaces as number) >= 0))
    ) {
      return { pattern: path, authorize: authorize as Authorize | undefined, maxNamespaces: maxNamespaces as number }
    }
  }
  throw new NamespaceRouterError(
    codes.ROUTE_PATTERN,
    `route ${JSON.stringify(name)} must be a path pattern, a RegExp, or { path, authorize?, maxNamespaces? }`,
  )
}

interface PathEntry {
  readonly route: CompiledRoute
  readonly createParams: (captures: readonly string[]) => Record<string, string>
}

// One object literal per list of keys, as find-my-way does per route: filling an empty object key by
// key was half of a lookup's cost. Shared between routes with the same keys, so that 10,000 routes do
// not make 10,000 functions that each stay cold. The keys are checked by PARAM, and quoted.
const factories = new Map<string, PathEntry['createParams']>()
function paramsFactory(keys: readonly string[]): PathEntry['createParams'] {
  const signature = JSON.stringify(keys)
  let factory = factories.get(signature)
  if (!factory) {
    const body = keys.map((key, i) => `${JSON.stringify(key)}: captures[${i}]`).join(', ')
    factory = new Function('captures', `return { ${body} }`) as PathEntry['createParams']
    factories.set(signature, factory)
  }
  return factory
}

function duplicate(route: CompiledRoute, earlier: CompiledRoute): NamespaceRouterError {
  return new NamespaceRouterError(
    codes.ROUTE_DUPLICATE,
    `route ${JSON.stringify(route.name)}: pattern ${JSON.stringify(route.pattern)} matches the same names as route ${JSON.stringify(earlier.name)}`,
  )
}

// The grammar is narrow on purpose: what it accepts is exactly what the type-level PathParams can read.
function parsePattern(name: string, pattern: string, allowUnsafeRegex: boolean): { segments: Segment[]; keys: string[] } {
  const fail = (why: string, code: ErrorCode = codes.ROUTE_PATTERN): never => {
    throw new NamespaceRouterError(code, `route ${JSON.stringify(name)}: pattern ${JSON.stringify(pattern)} ${why}`)
  }
  if (!pattern.startsWith('/') || pattern.length === 1) fail('must start with "/" and name something')
  const parts = pattern.slice(1).split('/')
  const keys: string[] = []
  const segments = parts.map((part, index): Segment => {
    if (part === '*') {
      if (index !== parts.length - 1) fail('may use "*" only as its last segment')
      keys.push('*')
      return { kind: 'wildcard' }
    }
    const param = PARAM.exec(part)
    if (param) {
      const key = param[1] as string
      if (keys.includes(key)) fail(`repeats the param ":${key}"`)
      // In an object literal, "__proto__" would set the prototype instead of holding the value.
      if (key === '__proto__') fail('names a param "__proto__"')
      keys.push(key)
      const source = param[2]
      if (source === undefined) return { kind: 'param', constraint: undefined }
      let constraint: RegExp
      try {
        // A constraint covers the whole segment, whether or not it says so with ^ and $.
        constraint = new RegExp(`^(?:${source.replace(/^\^/, '').replace(/(?<!\\)\$$/, '')})$`)
      } catch {
        return fail(`has an invalid constraint ${JSON.stringify(source)}`)
      }
      if (!allowUnsafeRegex && !isSafeRegex(constraint)) {
        fail(`constrains :${key} with ${JSON.stringify(source)}, which is prone to catastrophic backtracking (allowUnsafeRegex to accept it)`, codes.ROUTE_UNSAFE_REGEX)
      }
      return { kind: 'param', constraint }
    }
    if (part === '') fail('has an empty segment')
    if (part === '.' || part === '..' || !LITERAL.test(part)) fail(`has an invalid segment ${JSON.stringify(part)}`)
    return { kind: 'static', text: part }
  })
  return { segments, keys }
}

// A RegExp route must match the whole canonical name. The leading "/" may be left out of the
// pattern, as the io-handler snippet's patterns do. Anchoring is what stops `/x/category/1/item/2/chat/y` from
// passing for a chat name and creating namespaces nobody routes to on purpose.
function anchor(regexp: RegExp): RegExp {
  return new RegExp(`^/?(?:${regexp.source})$`, regexp.flags.replace(DROPPED_FLAGS, ''))
}
