import t from 'tap'
import * as api from '../lib/index.js'

t.test('the public surface: named exports only', async (t) => {
  t.same(Object.keys(api).sort(), ['DEFAULTS', 'NamespaceRouterError', 'RefusalError', 'addressKey', 'codes', 'createNamespaceRouter', 'forwardedFor', 'ioHandler'])
  t.equal(typeof api.createNamespaceRouter, 'function')
  t.equal(typeof api.ioHandler, 'function')
})
