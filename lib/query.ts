import { codes } from './errors.js'

// Object.hasOwn is Node 16.9+: legacy servers run older Node.
const { hasOwnProperty } = Object.prototype

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
