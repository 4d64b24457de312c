import createDebug from 'debug'

const debug = createDebug('socket.io-ns-router:name')

/**
 * Default upper bound of a namespace name's length, in characters.
 *
 * @example
 * parseName(name, DEFAULT_MAX_NAME_LENGTH)
 */
export const DEFAULT_MAX_NAME_LENGTH = 256

// One segment: RFC 3986 unreserved characters only. Absent on purpose: '%' (no second spelling through
// percent-encoding), '?', '#', '/', whitespace, control and non-ASCII characters, and every regex or
// query metacharacter, so one name has one spelling and no parser on the way (socket.io 4.8 reads a
// v2 client's name as a URL) can alter it.
const SEGMENT = /^[A-Za-z0-9\-._~]+$/
// A whole canonical name in one test: segments of SEGMENT's characters, none of them `.` or `..`.
// Anchored, and `/` is outside the class, so it runs in linear time.
const CANONICAL = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~]+)+$/

/**
 * A name the router accepts, and the canonical spelling it is routed by.
 *
 * @example
 * const { canonical } = parseName('//a/b') as ParsedName // '/a/b'
 */
export interface ParsedName {
  /** The name as socket.io knows it (the client's spelling). */
  readonly name: string
  /** The spelling routes are matched against: equal to `name` except for the legacy `//x` spelling. */
  readonly canonical: string
}

/**
 * Why a name was refused.
 *
 * @example
 * (parseName('/a/') as NameProblem).reason // 'empty segment'
 */
export interface NameProblem {
  readonly reason: string
}

/**
 * Checks a namespace name and returns its canonical spelling, or the reason it is refused.
 *
 * The only rewrite is the frontend snippet's `//category/...` spelling, whose canonical form drops the
 * extra leading slash. Nothing is decoded, trimmed or case-folded, so two different accepted names
 * never route to the same canonical name except for that one documented pair.
 *
 * @example
 * parseName('//category/1/item/2/chat') // { name: '//category/1/item/2/chat', canonical: '/category/1/item/2/chat' }
 * parseName('/a/../b')                  // { reason: 'dot segment' }
 */
export function parseName(name: unknown, maxLength = DEFAULT_MAX_NAME_LENGTH): ParsedName | NameProblem {
  // The common case, checked in one regex test rather than a split and a test per segment.
  if (typeof name === 'string' && isCanonical(name, maxLength)) return { name, canonical: name }
  if (typeof name !== 'string') return problem(name, 'not a string')
  if (name.length === 0) return problem(name, 'empty')
  if (name.length > maxLength) return problem(name, `longer than ${maxLength} characters`)
  const canonical = name.startsWith('//') ? name.slice(1) : name
  if (!canonical.startsWith('/') || canonical.length === 1) return problem(name, 'not an absolute name')
  const segments = canonical.slice(1).split('/')
  for (const segment of segments) {
    if (segment === '') return problem(name, 'empty segment')
    if (segment === '.' || segment === '..') return problem(name, 'dot segment')
    if (!SEGMENT.test(segment)) return problem(name, 'character outside the allowed set')
  }
  return { name, canonical }
}

/**
 * Whether a name is accepted as it is spelled, its own canonical spelling: what `parseName` says of almost
 * every name, told without building its answer.
 *
 * @example
 * isCanonical('/category/1/item/2/chat') // true
 * isCanonical('//category/1/item/2/chat') // false: accepted, but its canonical spelling is another
 */
export function isCanonical(name: string, maxLength = DEFAULT_MAX_NAME_LENGTH): boolean {
  return name.length <= maxLength && CANONICAL.test(name)
}

/**
 * Tells a parsed name from a problem.
 *
 * @example
 * const parsed = parseName(input)
 * if (isProblem(parsed)) refuse(parsed.reason)
 */
export function isProblem(value: ParsedName | NameProblem): value is NameProblem {
  return 'reason' in value
}

function problem(name: unknown, reason: string): NameProblem {
  debug('refused name %s: %s', typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name, reason)
  return { reason }
}
