import t from 'tap'
import { accessServer } from '../lib/server-compat.js'
import { closeAdapter, removeNamespace } from '../lib/removal.js'
import { clientV2, clientV4, connected, namespaceNames, once, startServer, type ServerKind } from './helpers/io.js'

for (const kind of ['2', '4'] as ServerKind[]) {
  t.test(`removeNamespace on socket.io ${kind}.x`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const parent = io.of(() => {})
    const nsp = parent.createChild('/room')
    nsp.on('connection', () => {})
    const client = kind === '2' ? clientV2(t, url + '/room') : clientV4(t, url + '/room')
    await connected(client)
    const gone = once(client, 'disconnect')
    let closed = 0
    const close = nsp.adapter.close
    nsp.adapter.close = () => { closed++; return close?.call(nsp.adapter) }
    await removeNamespace(accessServer(io), parent, nsp)
    await gone
    t.same(namespaceNames(io), ['/'])
    t.notOk(parent.children.has(nsp))
    t.equal(nsp.listeners('connection').length, 0)
    t.equal(closed, 1, 'the adapter is closed')
  })
}

t.test('closeAdapter tolerates adapters without close (socket.io 2.x)', async (t) => {
  await closeAdapter({ adapter: {} } as never)
  let closed = false
  await closeAdapter({ adapter: { close: async () => { closed = true } } } as never)
  t.ok(closed)
})

t.test('removeNamespace tolerates a parent without children', async (t) => {
  const { io } = await startServer(t)
  const nsp = io.of('/plain')
  await removeNamespace(accessServer(io), {}, nsp)
  t.same(namespaceNames(io), ['/'])
})
