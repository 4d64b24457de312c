// The router under test. run.js points NS_ROUTER_BENCH_DIST at a private copy of dist/esm, taken
// right after its build: the other suites on this machine rebuild (rm -rf) dist/ while a long run
// is still forking processes. Without run.js it is the package itself, through its "exports".
const dir = process.env.NS_ROUTER_BENCH_DIST

const load = (file) => import(dir ? new URL(file, `file://${dir}/`).href : new URL(`../dist/esm/${file}`, import.meta.url).href)

export const { createNamespaceRouter } = dir ? await load('index.js') : await import('socket.io-ns-router')
// A candidate build from before the metrics entry point has none: only the `metrics` variant needs it.
export const { registerRouterMetrics } = dir ? await load('metrics.js').catch(() => ({})) : await import('socket.io-ns-router/metrics')
// Not public API: the match benchmark times the router's matcher on its own, as the router calls it.
export const { compileRoutes } = await load('matcher.js')
export const { parseName, isProblem } = await load('name.js')
