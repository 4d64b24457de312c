import { addressKey, type ClientKey } from './client-key.js'
import { codes, NamespaceRouterError } from './errors.js'
import { fromEntries } from './from-entries.js'
import { systemClock, type Clock } from './clock.js'
import { DEFAULT_MAX_PARAM_LENGTH } from './matcher.js'
import { DEFAULT_MAX_NAME_LENGTH } from './name.js'
import type { RouteInput, RoutePatterns } from './types.js'

/**
 * Options of `createNamespaceRouter`.
 *
 * @example
 * const options: RouterOptions<{ chat: '/c/:id' }> = { routes: { chat: '/c/:id' }, emptyNamespaceTtlMs: 5_000 }
 */
export interface RouterOptions<Routes extends RoutePatterns> {
  /** Route names mapped to a path pattern, a RegExp, or `{ path, authorize, maxNamespaces }`. */
  readonly routes: { readonly [K in keyof Routes]: RouteInput<Routes[K]> }
  /** The handshake query key read on `/`. Default `'ns'`. */
  readonly query?: string
  /**
   * A socket on `/` whose `ns` is missing, invalid or unrouted: `'ignore'` it (default), `'disconnect'`
   * it once connected (the io-handler snippet's behaviour), or `'refuse'` it with a coded error.
   */
  readonly unmatched?: 'ignore' | 'disconnect' | 'refuse'
  /** Longest accepted namespace name, in characters. Default 256. */
  readonly maxNameLength?: number
  /** Longest accepted path param, in characters. Default 100. */
  readonly maxParamLength?: number
  /** Milliseconds a routed namespace lives without sockets, or `false` to keep them. Default 30 000. */
  readonly emptyNamespaceTtlMs?: number | false
  /**
   * Cap on live routed namespaces, all routes together, for what clients create: a client's CONNECT that
   * would create one more is refused with `NS_LIMIT`. Server code (`router.namespace()`, `io.of()`) is
   * never refused. Default 10 000.
   */
  readonly maxNamespaces?: number
  /**
   * Cap on the routed namespaces one engine.io connection holds, connected or joining (a Manager
   * multiplexes them over one connection): over it, `NS_CONNECTION_LIMIT`. Default 128.
   */
  readonly maxNamespacesPerConnection?: number
  /** Cap on the live namespaces the connections of one client (`clientKey`) created: over it, `NS_CLIENT_LIMIT`. Default 256. */
  readonly maxNamespacesPerClient?: number
  /**
   * Which client a connection belongs to, for `maxNamespacesPerClient`. Default: its address (an IPv6
   * address's /64). Behind a trusted reverse proxy, use `forwardedFor([proxy addresses])`.
   */
  readonly clientKey?: ClientKey
  /** Accept RegExps that the ReDoS check flags as prone to catastrophic backtracking (nested quantifiers). Default false. */
  readonly allowUnsafeRegex?: boolean
  /**
   * The clock of the grace period and of recovery deadlines: `now()`, and `setTimeout`/`clearTimeout` for
   * removal timers. Default: the system's. Tests pass their own to run a grace period without waiting for it.
   */
  readonly clock?: Clock
}

/**
 * The options with their defaults applied.
 *
 * @example
 * const { emptyNamespaceTtlMs }: ResolvedOptions = resolveOptions({})
 */
export type ResolvedOptions = Required<Omit<RouterOptions<RoutePatterns>, 'routes'>>

/**
 * The defaults. 30 s of grace covers a client's reconnection attempts (socket.io-client waits at most
 * 5 s between them by default) so a blip does not tear down a namespace and its per-namespace setup;
 * 10 000 namespaces cost about 15 MB with the in-memory adapter (1.5 KB each on socket.io 4). 128
 * namespaces per connection is Centrifugo's default per-client channel limit: a multiplexing client holds
 * a handful to a few dozen. 256 per client key is two such connections' worth of new namespaces, so at
 * least 40 sources are needed to fill `maxNamespaces`.
 *
 * @example
 * DEFAULTS.emptyNamespaceTtlMs // 30000
 */
export const DEFAULTS: ResolvedOptions = {
  query: 'ns',
  unmatched: 'ignore',
  maxNameLength: DEFAULT_MAX_NAME_LENGTH,
  maxParamLength: DEFAULT_MAX_PARAM_LENGTH,
  emptyNamespaceTtlMs: 30_000,
  maxNamespaces: 10_000,
  maxNamespacesPerConnection: 128,
  maxNamespacesPerClient: 256,
  clientKey: addressKey,
  allowUnsafeRegex: false,
  clock: systemClock,
}

/**
 * Applies the defaults and checks every option, throwing `ERR_ROUTER_OPTIONS` for the first bad one.
 *
 * @example
 * resolveOptions({ routes: {}, maxNamespaces: -1 }) // throws ERR_ROUTER_OPTIONS
 */
export function resolveOptions(options: Omit<RouterOptions<RoutePatterns>, 'routes'>): ResolvedOptions {
  const resolved = { ...DEFAULTS, ...withoutUndefined(options) }
  const fail = (message: string): never => {
    throw new NamespaceRouterError(codes.OPTIONS, message)
  }
  const { query, unmatched, maxNameLength, maxParamLength, emptyNamespaceTtlMs, maxNamespaces, allowUnsafeRegex } = resolved
  const { maxNamespacesPerConnection, maxNamespacesPerClient, clientKey } = resolved
  if (typeof query !== 'string' || query === '') fail('query must be a non-empty string')
  if (!['ignore', 'disconnect', 'refuse'].includes(unmatched)) fail('unmatched must be "ignore", "disconnect" or "refuse"')
  if (!Number.isInteger(maxNameLength) || maxNameLength < 2) fail('maxNameLength must be an integer of at least 2')
  if (!Number.isInteger(maxParamLength) || maxParamLength < 1) fail('maxParamLength must be a positive integer')
  if (emptyNamespaceTtlMs !== false && !(Number.isInteger(emptyNamespaceTtlMs) && emptyNamespaceTtlMs >= 0 && emptyNamespaceTtlMs <= 2 ** 31 - 1)) {
    fail('emptyNamespaceTtlMs must be false or a whole number of milliseconds below 2^31')
  }
  if (maxNamespaces !== Infinity && !(Number.isInteger(maxNamespaces) && maxNamespaces >= 0)) fail('maxNamespaces must be a whole number or Infinity')
  if (maxNamespacesPerConnection !== Infinity && !(Number.isInteger(maxNamespacesPerConnection) && maxNamespacesPerConnection >= 1)) {
    fail('maxNamespacesPerConnection must be a positive whole number or Infinity')
  }
  if (maxNamespacesPerClient !== Infinity && !(Number.isInteger(maxNamespacesPerClient) && maxNamespacesPerClient >= 0)) {
    fail('maxNamespacesPerClient must be a whole number or Infinity')
  }
  if (typeof clientKey !== 'function') fail('clientKey must be a function')
  if (typeof allowUnsafeRegex !== 'boolean') fail('allowUnsafeRegex must be a boolean')
  const { clock } = resolved
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    fail('clock must have now, setTimeout and clearTimeout functions')
  }
  return resolved
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
