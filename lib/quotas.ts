import { clientKeyOf, type ClientKey } from './client-key.js'
import { codes, type RefusalError } from './errors.js'
import type { Claim, Lifecycle } from './lifecycle.js'
import type { RouteMatch } from './matcher.js'
import type { Refusals } from './refusals.js'
import type { EngineConnection } from './server-compat.js'

/**
 * The bounds a client is held to, as the router's options set them.
 *
 * @example
 * const bounds: QuotaBounds = { maxNamespacesPerConnection: 128, maxNamespacesPerClient: 256, clientKey: addressKey }
 */
export interface QuotaBounds {
  readonly maxNamespacesPerConnection: number
  readonly maxNamespacesPerClient: number
  readonly clientKey: ClientKey
}

/**
 * The limits step of the admission path: which refusal, if any, a client's creation or join gets from the
 * caps, counted by the lifecycle (what is live, what each connection and client key holds).
 *
 * @example
 * const quotas = createQuotas(lifecycle, refusals, settings)
 * const claim = quotas.claim(match, name, connection)
 * if (claim instanceof Error) refuse(claim)
 */
export interface Quotas {
  /** The refusal for one more namespace of this route, when the cap of all routes or of the route is reached. */
  capRefusal(match: RouteMatch, name: string): RefusalError | undefined
  /**
   * A client's creation passes the caps of all routes and of its route, then the bounds of its connection
   * and of its client key, and is counted against both from then on; or gets its refusal.
   */
  claim(match: RouteMatch, name: string, connection: EngineConnection | undefined): Claim | RefusalError
  /** The refusal of a socket whose connection is at its bound when it joins. */
  connectionRefusal(name: string, route: string): RefusalError
}

/**
 * Creates the limits of one router over its lifecycle's counts; refusals are recorded in `refusals`.
 *
 * @example
 * const quotas = createQuotas(lifecycle, createRefusals(emitter), { maxNamespacesPerConnection: 128, maxNamespacesPerClient: 256, clientKey: addressKey })
 */
export function createQuotas(lifecycle: Lifecycle, refusals: Refusals, bounds: QuotaBounds): Quotas {
  const connectionRefusal = (name: string, route: string): RefusalError =>
    refusals.refuse(codes.CONNECTION_LIMIT, `too many namespaces on this connection (${bounds.maxNamespacesPerConnection})`, name, route)

  const capRefusal = (match: RouteMatch, name: string): RefusalError | undefined => {
    const cap = lifecycle.capExceeded(match.route)
    return cap && refusals.refuse(codes.LIMIT, `too many namespaces (${cap})`, name, match.route.name)
  }

  return {
    capRefusal,
    claim(match, name, connection) {
      const capped = capRefusal(match, name)
      if (capped) return capped
      if (!connection) return lifecycle.claim(undefined, undefined)
      const key = lifecycle.keyOf(connection, () => clientKeyOf(connection, bounds.clientKey))
      const bound = lifecycle.clientBound(connection, key)
      if (bound === 'connection') return connectionRefusal(name, match.route.name)
      if (bound === 'client') return refusals.refuse(codes.CLIENT_LIMIT, `too many namespaces created by this client (${bounds.maxNamespacesPerClient})`, name, match.route.name)
      return lifecycle.claim(connection, key)
    },
    connectionRefusal,
  }
}
