import createDebug from 'debug'
import type { Socket } from 'socket.io'
import { codes } from './errors.js'
import { classify, type Matcher } from './matcher.js'
import type { Refusals } from './refusals.js'
import { removeMiddleware, type ServerLike } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:root')

// Object.hasOwn is Node 16.9+: legacy servers run older Node.
const { hasOwnProperty } = Object.prototype

/**
 * What {@link guardRoot} needs from the router.
 *
 * @example
 * const options: RootGuardOptions = { queryKey: 'ns', policy: 'refuse', matcher, maxNameLength: 256, refusals }
 */
export interface RootGuardOptions {
  readonly queryKey: string
  readonly policy: 'ignore' | 'disconnect' | 'refuse'
  /** The routes an `ns` value must name (a canonical name of a route). */
  readonly matcher: Matcher
  readonly maxNameLength: number
  /** Where refusals are recorded. */
  readonly refusals: Refusals
}

/**
 * Applies the `unmatched` policy to sockets on `/`, from their `ns` handshake query: nothing for
 * `'ignore'`, a disconnect after `connection` for `'disconnect'` (the io-handler snippet's behaviour), a coded
 * middleware error for `'refuse'`. Returns the function that detaches it.
 *
 * @example
 * const detach = guardRoot(io, { queryKey: 'ns', policy: 'refuse', matcher, maxNameLength: 256, refusals })
 */
export function guardRoot(io: ServerLike, options: RootGuardOptions): () => void {
  const { queryKey, policy, matcher, maxNameLength, refusals } = options
  const judge = (socket: Socket): Error | undefined => {
    const read = readQueryValue(socket.handshake.query, queryKey)
    const found = read.ok ? classify(matcher, read.value, maxNameLength) : read.code
    if (typeof found !== 'string') return undefined
    debug('%s on /: %s', policy, found)
    return refusals.refuse(found, `the "${queryKey}" query names no routed namespace`, read.ok ? read.value : '/')
  }
  if (policy === 'ignore') return () => {}
  const root = io.sockets
  if (policy === 'disconnect') {
    const onConnection = (socket: Socket): void => {
      if (judge(socket)) socket.disconnect()
    }
    root.on('connection', onConnection)
    return () => root.removeListener('connection', onConnection)
  }
  const middleware = (socket: Socket, next: (error?: Error) => void): void => next(judge(socket))
  root.use(middleware)
  return () => removeMiddleware(root, middleware)
}

/**
 * The result of reading one key of a handshake query.
 *
 * @example
 * const read: QueryRead = readQueryValue(socket.handshake.query, 'ns')
 * if (read.ok) route(read.value)
 */
export type QueryRead =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly code: typeof codes.QUERY_MISSING | typeof codes.QUERY_INVALID }

/**
 * Reads one key of a handshake query as a single string, the way a hostile client cannot trip up:
 * only own properties count (so `__proto__` or `toString` are never found on the prototype), and a
 * repeated key (`?ns=a&ns=b`, an array) or any non-string value is invalid rather than guessed at.
 *
 * @example
 * readQueryValue(socket.handshake.query, 'ns') // { ok: true, value: '/category/1/item/2/chat' }
 * readQueryValue({ ns: ['a', 'b'] }, 'ns')    // { ok: false, code: 'NS_QUERY_INVALID' }
 */
export function readQueryValue(query: unknown, key: string): QueryRead {
  if (typeof query !== 'object' || query === null || !hasOwnProperty.call(query, key)) {
    return { ok: false, code: codes.QUERY_MISSING }
  }
  const value: unknown = (query as Record<string, unknown>)[key]
  if (value === undefined || value === '') return { ok: false, code: codes.QUERY_MISSING }
  if (typeof value !== 'string') return { ok: false, code: codes.QUERY_INVALID }
  return { ok: true, value }
}
