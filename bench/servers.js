// The servers being compared. Each greets a socket with one `welcome` event from its namespace's
// `connection` handler: the "first server event" the clients time.
import { createSnippetHandler } from './io-handler-snippet.js'

export const CHAT_PATTERN = '/category/:categoryId/item/:itemId/chat'
export const CHAT_REGEXP = /^\/category\/\d+\/item\/\d+\/chat$/
// The io-handler snippet's own route, unanchored as the snippet wrote it.
export const SNIPPET_ROUTES = { chat: /category\/(\d+)\/item\/(\d+)\/chat/ }

export const chatName = (i) => `/category/${Math.floor(i / 10)}/item/${i}/chat`

/** The routers being measured: the build under test and, with run.js --candidate=DIR, another build of the package. */
export const routerVariants = () => (process.env.NS_ROUTER_BENCH_CANDIDATE ? ['router', 'candidate'] : ['router'])

/** How to start the server process of a variant: `candidate` is the router from the candidate build. */
export const serverSpec = (variant) =>
  variant === 'candidate'
    ? { variant: 'router', env: { NS_ROUTER_BENCH_PACKAGE: process.env.NS_ROUTER_BENCH_CANDIDATE } }
    : { variant, env: {} }

const welcome = (socket) => socket.emit('welcome', socket.nsp.name)

export const variants = {
  /** socket.io with every namespace created up front: the cost floor. */
  floor(io, { names }) {
    for (const name of names) io.of(name).on('connection', welcome)
    return {}
  },
  /** socket.io's own dynamic namespaces. */
  regex(io) {
    io.of(CHAT_REGEXP).on('connection', welcome)
    return {}
  },
  /** The io-handler snippet's `/` handler (socket.io-client 2.x only). */
  snippet(io) {
    const snippet = createSnippetHandler(io, SNIPPET_ROUTES)
    snippet.ee.on('dynamic.group.chat', welcome)
    // The churn benchmark asks for names over a control socket: one v2 connection per name would
    // spend the machine's ephemeral ports long before 100,000 names.
    io.on('connection', (socket) => socket.on('open', (ns, ack) => ack(snippet.open(ns))))
    return { snippet: () => ({ created: snippet.created() }) }
  },
  router: (io, options) => startRouter(io, options),
  /** The router with socket.io-ns-router/metrics on, scraped every 15 s (a common Prometheus scrape_interval). */
  async metrics(io, options) {
    const { registerRouterMetrics } = await import('./subject.js')
    const { Registry } = await import('prom-client')
    const probes = await startRouter(io, options)
    const registry = new Registry()
    registerRouterMetrics(probes.instance, { registry })
    let scrapes = 0
    setInterval(() => void registry.metrics().then(() => scrapes++), 15_000).unref()
    return { router: () => ({ ...probes.router(), scrapes }) }
  },
}

const paramsOf = (name) => {
  const [, categoryId, itemId] = /^\/category\/(\d+)\/item\/(\d+)\/chat$/.exec(name)
  return { categoryId, itemId }
}

/**
 * The memory case's servers: `setup(io)` installs one, `create(names)` makes its namespaces when server
 * code makes them, and `clients` says whether each namespace gets one client (which creates it).
 */
export const memoryVariants = {
  /** socket.io's own dynamic namespaces, each created by its one client. */
  async regex(io) {
    variants.regex(io)
    return { clients: true, create() {} }
  },
  /** The router, each namespace created by its one client. */
  async router(io) {
    await variants.router(io, {})
    return { clients: true, create() {} }
  },
  /** `io.of(name)` by server code, no client. */
  async static(io) {
    return { clients: false, create: (names) => variants.floor(io, { names }) }
  },
  /**
   * `router.namespace()` by server code, no client. It greets its sockets the router's way, as `router`
   * does: one `dynamic.group.chat` handler for all, where a static namespace needs a `connection` listener
   * of its own. Each namespace then holds one `connection` listener, as a static one does (the router's).
   */
  async 'router-server'(io) {
    const { createNamespaceRouter } = await import('./subject.js')
    const router = createNamespaceRouter(io, { routes: { chat: CHAT_PATTERN }, maxNamespacesPerClient: Infinity })
    router.on('dynamic.group.chat', ({ socket }) => welcome(socket))
    return {
      clients: false,
      create(names) {
        for (const name of names) router.namespace('chat', paramsOf(name))
      },
    }
  },
}

async function startRouter(io, { ttl = 30_000, maxNamespaces = 10_000 }) {
  const { createNamespaceRouter } = await import('./subject.js')
  const router = createNamespaceRouter(io, {
    routes: { chat: CHAT_PATTERN },
    emptyNamespaceTtlMs: ttl,
    maxNamespaces,
    // Every benchmark client comes from 127.0.0.1: one client key, which the default bound would cap.
    maxNamespacesPerClient: Infinity,
  })
  router.on('dynamic.group.chat', ({ socket }) => welcome(socket))
  return { instance: router, router: () => router.stats() }
}
