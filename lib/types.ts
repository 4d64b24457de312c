import type { Namespace, Socket } from 'socket.io'
import type { ErrorCode } from './errors.js'

type Segments<S extends string> = S extends `${infer Head}/${infer Tail}` ? Head | Segments<Tail> : S
type ParamName<Segment> = Segment extends `:${infer Name}(${string}`
  ? Name
  : Segment extends `:${infer Name}`
    ? Name
    : Segment extends '*'
      ? '*'
      : never

/**
 * The params of a path pattern, read from the string at the type level. The trailing wildcard is `'*'`.
 *
 * @example
 * type P = PathParams<'/category/:categoryId/item/:itemId/chat'> // { categoryId: string; itemId: string }
 * type F = PathParams<'/files/*'>                                 // { '*': string }
 */
export type PathParams<Pattern extends string> = string extends Pattern
  ? Readonly<Record<string, string>>
  : { readonly [K in ParamName<Segments<Pattern>>]: string }

/**
 * The params of a route's pattern: typed from a path pattern, the named groups of a RegExp.
 *
 * @example
 * type P = ParamsOf<'/t/:tenant'> // { tenant: string }
 */
export type ParamsOf<Pattern> = Pattern extends string
  ? PathParams<Pattern>
  : Readonly<Record<string, string | undefined>>

/**
 * The captured values of a route's pattern, in order: always strings for a path pattern, possibly
 * `undefined` for a RegExp group that did not take part in the match.
 *
 * @example
 * type C = CapturesOf<RegExp> // readonly (string | undefined)[]
 */
export type CapturesOf<Pattern> = Pattern extends string ? readonly string[] : readonly (string | undefined)[]

/**
 * The handshake socket.io built for a socket (headers, query, auth, address...).
 *
 * @example
 * const origin = (handshake: Handshake) => handshake.headers.origin
 */
export type Handshake = Socket['handshake']

/**
 * What a route's `authorize` sees. It is called twice in a namespace's life cycle:
 * - `phase: 'create'`: before the namespace exists, for the socket that would create it. Only the
 *   name, params and `auth` are known; `handshake` and `socket` are `undefined`.
 * - `phase: 'join'`: in the namespace's middleware, for every socket (the creator included), with
 *   the full `handshake` and the `socket`.
 *
 * @example
 * const authorize = async ({ params, auth, handshake }: AuthorizeContext<{ tenant: string }>) =>
 *   (await isMember(auth.token, params.tenant)) && (!handshake || handshake.headers.origin === ORIGIN)
 */
export interface AuthorizeContext<Params = Readonly<Record<string, string | undefined>>> {
  readonly phase: 'create' | 'join'
  readonly route: string
  /** The namespace name as socket.io knows it. */
  readonly name: string
  readonly params: Params
  readonly captures: readonly (string | undefined)[]
  /** v3/v4 clients: the `auth` payload. v2 clients: the query of their CONNECT packet. Never null. */
  readonly auth: Readonly<Record<string, unknown>>
  readonly handshake: Handshake | undefined
  readonly socket: Socket | undefined
}

/**
 * Decides whether a socket may create or join a routed namespace. `false`, a throw or a rejection
 * refuses it with `NS_FORBIDDEN`.
 *
 * @example
 * const authorize: Authorize<{ tenant: string }> = ({ params }) => params.tenant !== 'admin'
 */
export type Authorize<Params = Readonly<Record<string, string | undefined>>> = (
  context: AuthorizeContext<Params>,
) => boolean | Promise<boolean>

/**
 * How an `authorize` call ended: `true`, anything else, or a throw or rejection (reported as `error`).
 *
 * @example
 * router.on('authorized', ({ outcome }: { outcome: AuthorizeOutcome }) => outcome === 'error' && alert())
 */
export type AuthorizeOutcome = 'allowed' | 'denied' | 'error'

/**
 * A route: a path pattern, a RegExp, or either with an `authorize` check.
 *
 * @example
 * const routes = {
 *   chat: '/category/:categoryId/item/:itemId/chat',
 *   legacy: /category\/(\d+)\/item\/(\d+)\/chat/,
 *   tenant: { path: '/t/:tenant', authorize: ({ params }) => params.tenant !== 'root' },
 * }
 */
export type RouteInput<Pattern extends string | RegExp = string | RegExp> =
  | Pattern
  | {
      readonly path: Pattern
      readonly authorize?: Authorize<ParamsOf<Pattern>>
      /** Cap on this route's live namespaces. */
      readonly maxNamespaces?: number
    }

/**
 * Route names mapped to their patterns.
 *
 * @example
 * const patterns: RoutePatterns = { chat: '/c/:id', legacy: /c\/(\d+)/ }
 */
export type RoutePatterns = Record<string, string | RegExp>

/**
 * The payload of `dynamic.group.<route>`.
 *
 * @example
 * router.on('dynamic.group.chat', ({ socket, params }: RouteEvent<'chat', '/c/:id'>) => socket.join(params.id))
 */
export interface RouteEvent<Route extends string = string, Pattern = string | RegExp> {
  readonly route: Route
  /** The socket of the routed namespace (not of `/`): listen and `broadcast` on it. */
  readonly socket: Socket
  readonly namespace: Namespace
  readonly params: ParamsOf<Pattern>
  readonly captures: CapturesOf<Pattern>
}

/**
 * The router's own events, beside one `dynamic.group.<route>` event per route.
 *
 * @example
 * router.on('refused', ({ code, name }) => metrics.increment(code))
 */
export interface LifecycleEvents {
  /** A routed namespace was created, by a client or by `router.namespace()`. */
  'namespace.created': { readonly route: string; readonly name: string; readonly namespace: Namespace }
  /** A routed namespace was removed: its sockets disconnected, its adapter closed. */
  'namespace.removed': { readonly route: string; readonly name: string }
  /** A socket or a CONNECT was refused. `route` is unset when no route matched. */
  refused: { readonly code: ErrorCode; readonly message: string; readonly name: string; readonly route?: string }
  /**
   * A route's `authorize` answered (only timed while this event has a listener). `durationMs` runs from the
   * call to its answer, a promise's settling included.
   */
  authorized: {
    readonly route: string
    readonly phase: 'create' | 'join'
    readonly name: string
    readonly outcome: AuthorizeOutcome
    readonly durationMs: number
  }
  /** A user callback (a handler, `authorize`) threw or rejected. The router went on. */
  error: { readonly error: unknown; readonly during: string; readonly route?: string; readonly name?: string }
}

/**
 * Every event of a router over the given routes.
 *
 * @example
 * type E = RouterEvents<{ chat: '/c/:id' }>['dynamic.group.chat']['params'] // { id: string }
 */
export type RouterEvents<Routes extends RoutePatterns> = {
  [K in keyof Routes & string as `dynamic.group.${K}`]: RouteEvent<K, Routes[K]>
} & LifecycleEvents
