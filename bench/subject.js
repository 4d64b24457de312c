// The router under test, imported by the package's public names (`socket.io-ns-router`,
// `socket.io-ns-router/metrics`). On its own, a bench script gets this checkout's build through Node's
// self-reference. run.js sets NS_ROUTER_BENCH_PACKAGE to a package directory instead: a copy of this
// package taken right after its build (snapshot.js), or another build of it for `candidate`. That
// directory is imported through its own package.json "exports", as an installed copy would be.
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { exportedFile } from './package-dir.js'

const dir = process.env.NS_ROUTER_BENCH_PACKAGE

const load = (subpath, name) => {
  if (!dir) return import(name)
  const file = exportedFile(dir, subpath)
  return file ? import(pathToFileURL(file).href) : Promise.reject(new Error(`${dir} exports no ${subpath}`))
}

export const { createNamespaceRouter } = await load('.', 'socket.io-ns-router')
// A candidate build from before the metrics entry point has none: only the `metrics` variant needs it.
export const { registerRouterMetrics } = await load('./metrics', 'socket.io-ns-router/metrics').catch(() => ({}))

/**
 * Not public API, for the match benchmark only, which times the matcher on its own as the router calls
 * it: a module of a build (`matcher.js`, `name.js`), found beside the ESM entry point of its package.
 */
export function internal(file, packageDir = dir) {
  const entry = packageDir ? exportedFile(packageDir, '.') : fileURLToPath(import.meta.resolve('socket.io-ns-router'))
  return import(pathToFileURL(join(dirname(entry), file)).href)
}
