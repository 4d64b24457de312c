import { isIP } from 'net'
import createDebug from 'debug'
import type { EngineConnection } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:client-key')

/**
 * What a client key is computed from: the parts of socket.io's handshake known before any namespace exists
 * (the connection's address, and the headers and query of the request that opened it).
 *
 * @example
 * const byUser: ClientKey = ({ query }) => String(query.user ?? '')
 */
export interface ClientHandshake {
  readonly address: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly query: Readonly<Record<string, string | string[] | undefined>>
}

/**
 * Picks the client a connection belongs to, for the per-client cap (`maxNamespacesPerClient`). Two
 * connections with the same key share one budget.
 *
 * @example
 * const key: ClientKey = ({ headers }) => String(headers['x-tenant'] ?? 'anonymous')
 */
export type ClientKey = (handshake: ClientHandshake) => string

/**
 * The default client key: the connection's address, with an IPv6 address cut to its /64 network (one host
 * commonly holds a whole /64, so single IPv6 addresses cost an attacker nothing) and an IPv4-mapped IPv6
 * address read as IPv4.
 *
 * @example
 * addressKey({ address: '::ffff:203.0.113.7', headers: {}, query: {} }) // '203.0.113.7'
 * addressKey({ address: '2001:db8:1:2:3:4:5:6', headers: {}, query: {} }) // '2001:db8:1:2::/64'
 */
export const addressKey: ClientKey = ({ address }) => networkOf(address)

/**
 * A client key for servers behind trusted reverse proxies: the client is the right-most address of
 * `X-Forwarded-For` that is not one of `trustedProxies`, read only when the connection comes from a
 * trusted proxy. Anyone can send `X-Forwarded-For`, so without a proxy in front that rewrites it, it must
 * not be read: a connection from any other address is keyed by its own address.
 *
 * @example
 * createNamespaceRouter(io, { routes, clientKey: forwardedFor(['127.0.0.1', '10.0.0.2']) })
 */
export function forwardedFor(trustedProxies: readonly string[]): ClientKey {
  const trusted = new Set(trustedProxies.map(networkAddress))
  return (handshake) => {
    let address = networkAddress(handshake.address)
    if (!trusted.has(address)) return networkOf(address)
    const header = handshake.headers['x-forwarded-for']
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',')
    // Each proxy appends the address it got the request from: read from the right, past the trusted ones.
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = networkAddress((hops[index] as string).trim())
      if (isIP(hop) === 0) break
      address = hop
      if (!trusted.has(hop)) break
    }
    return networkOf(address)
  }
}

/**
 * The client key of an engine.io connection: `key` applied to what the handshake will hold. A key
 * function that throws, or returns something else than a string, falls back to the address.
 *
 * @example
 * const key = clientKeyOf(connection, addressKey)
 */
export function clientKeyOf(connection: EngineConnection, key: ClientKey): string {
  // The default key needs no handshake object: every creating connection asks (bench/README.md).
  if (key === addressKey) return networkOf(connection.remoteAddress ?? '')
  const request = connection.request
  let query: ClientHandshake['query'] | undefined
  const handshake: ClientHandshake = {
    address: connection.remoteAddress ?? '',
    headers: request?.headers ?? {},
    // Parsed only for a key that reads it: the default key does not, and every creating connection asks.
    get query() {
      return (query ??= queryOf(request?.url))
    },
  }
  try {
    const value = key(handshake)
    if (typeof value === 'string') return value
    debug('clientKey returned a %s; using the address', typeof value)
  } catch (error) {
    debug('clientKey threw; using the address: %O', error)
  }
  return addressKey(handshake)
}

function queryOf(url: string | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null)
  const mark = url?.indexOf('?') ?? -1
  if (url === undefined || mark === -1) return query
  for (const [name, value] of new URLSearchParams(url.slice(mark + 1))) {
    const previous = query[name]
    query[name] = previous === undefined ? value : ([] as string[]).concat(previous, value)
  }
  return query
}

function networkAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

function networkOf(address: string): string {
  // Without a colon it is neither IPv6 nor IPv4-mapped: as it is, without a regex test.
  if (!address.includes(':')) return address
  const plain = networkAddress(address)
  if (isIP(plain) !== 6) return plain
  const [head = '', tail = ''] = plain.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = plain.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`
}
