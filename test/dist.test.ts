// Loads the built package the way users do: `import` (ESM) and `require` (CommonJS), through the
// package's own "exports" map. `npm test` builds first.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import t from 'tap'
import { clientV2, once, startServer } from './helpers/io.js'

const require = createRequire(import.meta.url)

t.before(() => {
  if (!existsSync(new URL('../dist/cjs/index.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)')
})

t.test('ESM: named exports from the package and the legacy subpath', async (t) => {
  const esm = await import('socket.io-ns-router')
  t.same(Object.keys(esm).sort(), ['DEFAULTS', 'NamespaceRouterError', 'RefusalError', 'codes', 'createNamespaceRouter', 'ioHandler'])
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

t.test('both builds ship types', async (t) => {
  for (const file of ['esm/index.d.ts', 'cjs/index.d.ts', 'esm/legacy.d.ts', 'cjs/legacy-entry.d.ts']) {
    t.ok(existsSync(new URL(`../dist/${file}`, import.meta.url)), file)
  }
})
