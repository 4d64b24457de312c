// Loads the built package the way users do: `import` (ESM) and `require` (CommonJS), through the
// package's own "exports" map. `npm test` builds first.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import t from 'tap'
import { clientV2, once, startServer } from './helpers/io.js'

const require = createRequire(import.meta.url)

t.before(() => {
  if (!existsSync(new URL('../dist/cjs/index.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)')
})

t.test('ESM: named exports from the package and the legacy subpath', async (t) => {
  const esm = await import('socket.io-ns-router')
  t.same(Object.keys(esm).sort(), ['DEFAULTS', 'NamespaceRouterError', 'RefusalError', 'addressKey', 'codes', 'createNamespaceRouter', 'forwardedFor', 'ioHandler'])
  const legacy = await import('socket.io-ns-router/legacy')
  t.equal(typeof legacy.ioHandler, 'function')
})

t.test('CommonJS: require() works, and the legacy subpath is the function itself', async (t) => {
  const cjs = require('socket.io-ns-router')
  t.equal(typeof cjs.createNamespaceRouter, 'function')
  t.equal(cjs.codes.FORBIDDEN, 'NS_FORBIDDEN')
  const legacy = require('socket.io-ns-router/legacy')
  t.equal(typeof legacy, 'function')
  t.equal(typeof legacy.ioHandler, 'function')

  // A socket.io 2.x server, loaded with require() as legacy servers are, using the built drop-in.
  const { io, url } = await startServer(t, '2')
  const ee = require('socket.io-ns-router/legacy')(io, { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
  ee.on('dynamic.group.chat', (socket: any, categoryId: string, itemId: string) => socket.emit('topic', categoryId + itemId))
  const client = clientV2(t, url + '/category/1/item/2/chat', { query: 'ns=/category/1/item/2/chat' })
  t.same(await once(client, 'topic'), ['12'])
})

t.test('every file the package and legacy/ point at is built, types included', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const stub = JSON.parse(readFileSync(new URL('../legacy/package.json', import.meta.url), 'utf8'))
  const metricsStub = JSON.parse(readFileSync(new URL('../metrics/package.json', import.meta.url), 'utf8'))
  const targets = (value: unknown): string[] => typeof value === 'string' ? [value] : Object.values(value as object).flatMap(targets)
  const files = [pkg.main, pkg.types, ...targets(pkg.exports), ...[stub.main, stub.types, metricsStub.main, metricsStub.types].map((file: string) => file.replace('../', './'))]
  t.ok(files.includes('./dist/cjs/legacy-entry.d.cts') && files.includes('./dist/esm/legacy.d.ts'), 'both builds ship types')
  for (const file of files) t.ok(existsSync(new URL(`../${file}`, import.meta.url)), file)
  t.equal(stub.main, '../dist/cjs/legacy-entry.cjs', 'a resolver without "exports" finds the same CommonJS entry')
})

t.test('the metrics subpath: import and require, one registration each on its own registry', async (t) => {
  const { Registry } = await import('prom-client')
  const { io } = await startServer(t)
  const esm = await import('socket.io-ns-router/metrics')
  const cjs = require('socket.io-ns-router/metrics')
  t.same(Object.keys(esm).sort(), ['DEFAULT_AUTHORIZE_BUCKETS', 'registerRouterMetrics'])
  const router = require('socket.io-ns-router').createNamespaceRouter(io, { routes: { chat: '/c/:id' } })
  for (const entry of [esm, cjs]) {
    const registry = new Registry()
    entry.registerRouterMetrics(router, { registry }).close()
    t.equal((await registry.getMetricsAsJSON()).length, 0, 'registered, then removed')
  }
  const registry = new Registry()
  cjs.registerRouterMetrics(router, { registry })
  t.match(await registry.metrics(), /socket_io_namespace_router_namespaces\{route="chat"\} 0/)
  await router.close()
})
