/**
 * Stable error codes. Codes starting with `ERR_` are thrown to the server's own code (bad routes,
 * bad options, bad reverse-routing params); codes starting with `NS_` are sent to refused clients in
 * `err.data.code`.
 *
 * @example
 * import { codes } from 'socket.io-ns-router'
 * socket.on('connect_error', (err) => {
 *   if (err.data?.code === codes.FORBIDDEN) showLogin()
 * })
 */
export const codes = {
  /** A route pattern is malformed. */
  ROUTE_PATTERN: 'ERR_ROUTE_PATTERN',
  /** Two routes share a name, or two patterns would match the same names. */
  ROUTE_DUPLICATE: 'ERR_ROUTE_DUPLICATE',
  /** A RegExp route or param constraint is prone to catastrophic backtracking (nested quantifiers). */
  ROUTE_UNSAFE_REGEX: 'ERR_ROUTE_UNSAFE_REGEX',
  /** A route name cannot be used in the event name `dynamic.group.<name>`. */
  ROUTE_NAME: 'ERR_ROUTE_NAME',
  /** A router option has the wrong type or range. */
  OPTIONS: 'ERR_ROUTER_OPTIONS',
  /** `router.namespace()` was given an unknown route, a RegExp route, or params that do not fit. */
  REVERSE_ROUTE: 'ERR_REVERSE_ROUTE',
  /**
   * No longer thrown: server code is never refused for caps (they bound what clients create). Kept so
   * that code comparing against it still compiles.
   */
  NAMESPACE_LIMIT: 'ERR_NAMESPACE_LIMIT',
  /** The router was used after `close()`. */
  CLOSED: 'ERR_ROUTER_CLOSED',
  /** `router.route()` was given a name that is no route, or `where()` a param its route does not have. */
  UNKNOWN_ROUTE: 'ERR_UNKNOWN_ROUTE',
  /**
   * A route-wide operation did not hear from every node within its timeout (a node down or frozen, or
   * the adapter cannot reach them). What the nodes that answered did (an emit) is not undone.
   */
  NODES_UNREACHABLE: 'ERR_NODES_UNREACHABLE',
  /**
   * A cluster-wide request cannot reach the nodes of the other socket.io generation in a mixed cluster
   * (a rolling upgrade): socket.io 4's `serverSideEmit` with an acknowledgement, socket.io-redis 5.x's
   * `customRequest`. It fails as soon as the other nodes answered, never at the timeout (see README,
   * "Rolling upgrade").
   */
  MIXED_CLUSTER: 'ERR_MIXED_CLUSTER',
  /** The namespace name is not a valid routed name (see README, "Names"). */
  INVALID_NAME: 'NS_INVALID_NAME',
  /** The namespace name matches no route. */
  NO_ROUTE: 'NS_NO_ROUTE',
  /** The `ns` handshake query value is missing or empty. */
  QUERY_MISSING: 'NS_QUERY_MISSING',
  /** The `ns` handshake query value is not a single string. */
  QUERY_INVALID: 'NS_QUERY_INVALID',
  /** The namespace was removed while the socket was joining it: connecting again gets a fresh one. */
  UNAVAILABLE: 'NS_UNAVAILABLE',
  /** Creating the namespace would exceed `maxNamespaces`, of all routes or of its route. */
  LIMIT: 'NS_LIMIT',
  /** The connection already holds `maxNamespacesPerConnection` routed namespaces (connected or joining). */
  CONNECTION_LIMIT: 'NS_CONNECTION_LIMIT',
  /** The client (its `clientKey`) already created `maxNamespacesPerClient` live namespaces. */
  CLIENT_LIMIT: 'NS_CLIENT_LIMIT',
  /** The route's `authorize` returned false, threw or rejected. */
  FORBIDDEN: 'NS_FORBIDDEN',
} as const

/**
 * One of the values of {@link codes}.
 *
 * @example
 * const code: ErrorCode = 'NS_FORBIDDEN'
 */
export type ErrorCode = (typeof codes)[keyof typeof codes]

/**
 * Base class of every error the router throws or sends.
 *
 * @example
 * try { router.namespace('chat', { categoryId: '', itemId: '2' }) }
 * catch (err) { if (err instanceof NamespaceRouterError) console.error(err.code) }
 */
export class NamespaceRouterError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NamespaceRouterError'
    this.code = code
  }
}

/**
 * A refusal, shaped for socket.io: it forwards `message` and `data` to the client, and drops every
 * other field. `data` repeats the message because socket.io 2.x servers send only `data`.
 *
 * @example
 * nsp.use((socket, next) => next(new RefusalError(codes.FORBIDDEN, 'not a member')))
 * // v4 client: socket.on('connect_error', (err) => err.data.code === 'NS_FORBIDDEN')
 */
export class RefusalError extends NamespaceRouterError {
  readonly data: { code: ErrorCode; message: string }

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'RefusalError'
    this.data = { code, message }
  }
}
