import createDebug from 'debug'
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client'
import type { LifecycleEvents } from './types.js'
import type { NamespaceRouter, RouterStats } from './router.js'

const debug = createDebug('socket.io-ns-router:metrics')

/**
 * Options of `registerRouterMetrics`.
 *
 * @example
 * const options: RouterMetricsOptions = { registry: new Registry(), buckets: [0.01, 0.1, 1] }
 */
export interface RouterMetricsOptions {
  /** Where the metrics are registered: prom-client's default registry when unset. */
  readonly registry?: Registry
  /** Upper bounds, in seconds, of the `authorize` duration histogram's buckets. */
  readonly buckets?: readonly number[]
}

/**
 * The metrics of one router on one registry.
 *
 * @example
 * const metrics = registerRouterMetrics(router)
 * await router.close()
 * metrics.close()
 */
export interface RouterMetrics {
  /** Stops listening to the router and removes its metrics from the registry. */
  close(): void
}

/**
 * The smallest router this needs: its events and `stats()`.
 *
 * @example
 * const source: MetricsSource = router
 */
export interface MetricsSource {
  on<K extends keyof LifecycleEvents>(type: K, handler: (event: LifecycleEvents[K]) => void): void
  off<K extends keyof LifecycleEvents>(type: K, handler: (event: LifecycleEvents[K]) => void): void
  stats(): RouterStats
}

/**
 * The `authorize` histogram's default buckets, in seconds: a user's check is often a cache or a database
 * lookup, from a millisecond to seconds.
 *
 * @example
 * registerRouterMetrics(router, { buckets: [0.0005, ...DEFAULT_AUTHORIZE_BUCKETS] })
 */
export const DEFAULT_AUTHORIZE_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

// Not socket_io_ns_router_: `ns` reads as nanoseconds, which promtool's lint rejects as an abbreviated unit.
const PREFIX = 'socket_io_namespace_router_'

/**
 * Registers a router's metrics on a prom-client registry. Every label value is a route name, a refusal
 * code, an `authorize` phase or outcome, or the place an error happened: never a namespace name, a param
 * or anything a client sent, so the number of series does not grow with the namespaces. Live figures
 * are read from `router.stats()` when the registry is scraped; counters count from this call on.
 *
 * @example
 * import { registerRouterMetrics } from 'socket.io-ns-router/metrics'
 * import { register } from 'prom-client'
 *
 * registerRouterMetrics(router)
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()))
 */
export function registerRouterMetrics(router: NamespaceRouter<any> | MetricsSource, options: RouterMetricsOptions = {}): RouterMetrics {
  const source = router as MetricsSource
  const registry = options.registry ?? defaultRegistry
  const registries = [registry]
  const routes = Object.keys(source.stats().byRoute)
  const names: string[] = []
  const named = (suffix: string): string => {
    names.push(PREFIX + suffix)
    return PREFIX + suffix
  }

  new Gauge({
    name: named('namespaces'),
    help: 'Live routed namespaces.',
    labelNames: ['route'] as const,
    registers: registries,
    collect() {
      for (const [route, count] of Object.entries(source.stats().byRoute)) this.set({ route }, count)
    },
  })
  new Gauge({
    name: named('sockets'),
    help: 'Sockets connected to routed namespaces.',
    labelNames: ['route'] as const,
    registers: registries,
    collect() {
      for (const [route, count] of Object.entries(source.stats().socketsByRoute)) this.set({ route }, count)
    },
  })
  const created = new Counter({
    name: named('namespaces_created_total'),
    help: 'Routed namespaces created.',
    labelNames: ['route'] as const,
    registers: registries,
  })
  const removed = new Counter({
    name: named('namespaces_removed_total'),
    help: 'Routed namespaces removed.',
    labelNames: ['route'] as const,
    registers: registries,
  })
  const refusals = new Counter({
    name: named('refusals_total'),
    help: 'Sockets and CONNECTs refused, by code; route is empty when no route matched.',
    labelNames: ['code', 'route'] as const,
    registers: registries,
  })
  const authorizeDuration = new Histogram({
    name: named('authorize_duration_seconds'),
    help: "Time a route's authorize took to answer.",
    labelNames: ['route', 'phase', 'outcome'] as const,
    buckets: [...(options.buckets ?? DEFAULT_AUTHORIZE_BUCKETS)],
    registers: registries,
  })
  const errors = new Counter({
    name: named('errors_total'),
    help: 'User callbacks (handlers, authorize) that threw or rejected, by where.',
    labelNames: ['during'] as const,
    registers: registries,
  })
  // Series that exist from the start read 0 rather than missing, which rate() and alerts need.
  for (const route of routes) {
    created.inc({ route }, 0)
    removed.inc({ route }, 0)
  }

  const handlers: { [K in keyof LifecycleEvents]: (event: LifecycleEvents[K]) => void } = {
    'namespace.created': ({ route }) => created.inc({ route }),
    'namespace.removed': ({ route }) => removed.inc({ route }),
    refused: ({ code, route }) => refusals.inc({ code, route: route ?? '' }),
    authorized: ({ route, phase, outcome, durationMs }) => authorizeDuration.observe({ route, phase, outcome }, durationMs / 1e3),
    error: ({ during }) => errors.inc({ during }),
  }
  const types = Object.keys(handlers) as (keyof LifecycleEvents)[]
  for (const type of types) source.on(type, handlers[type] as (event: unknown) => void)
  debug('registered for routes %o', routes)

  let closed = false
  return {
    close() {
      if (closed) return
      closed = true
      for (const type of types) source.off(type, handlers[type] as (event: unknown) => void)
      for (const name of names) registry.removeSingleMetric(name)
    },
  }
}
