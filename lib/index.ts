export { codes, NamespaceRouterError, RefusalError, type ErrorCode } from './errors.js'
export { DEFAULTS, type RouterOptions } from './options.js'
export { type Clock } from './clock.js'
export { createNamespaceRouter, type NamespaceRouter, type PathRouteNames, type RouterStats } from './router.js'
export { ioHandler } from './legacy.js'
export type { RouteHandle, RouteWideCount } from './route-wide.js'
export { addressKey, forwardedFor, type ClientHandshake, type ClientKey } from './client-key.js'
// Types only: each is documented, with an example, where it is declared.
export type { ServerLike } from './server-compat.js'
export type {
  Authorize,
  AuthorizeContext,
  AuthorizeOutcome,
  CapturesOf,
  Handshake,
  LifecycleEvents,
  ParamsOf,
  PathParams,
  RouteEvent,
  RouteInput,
  RouterEvents,
  RoutePatterns,
} from './types.js'
