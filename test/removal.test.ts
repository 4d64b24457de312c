import t from 'tap'
import { accessServer } from '../lib/server-compat.js'
import { codes } from '../lib/errors.js'
import { createRefusals } from '../lib/refusals.js'
import { removeNamespace, retire } from '../lib/removal.js'
import { createEmitter } from '../lib/safe-emit.js'
import { client, clientFor, connected, namespaceNames, once, SERVER_LINES, startServer, versionOf } from './helpers/io.js'

for (const kind of SERVER_LINES) {
  t.test(`removeNamespace on socket.io ${versionOf(kind)}`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const parent = io.of(() => {})
    const nsp = parent.createChild('/room')
    nsp.on('connection', () => {})
    const peer = client(t, clientFor(kind), url + '/room')
    await connected(peer)
    const gone = once(peer, 'disconnect')
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

t.test('removeNamespace tolerates a parent without children', async (t) => {
  const { io } = await startServer(t)
  const nsp = io.of('/plain')
  await removeNamespace(accessServer(io), {}, nsp)
  t.same(namespaceNames(io), ['/'])
})

for (const kind of SERVER_LINES) {
  t.test(`retire: a socket reaching a removed namespace is disconnected (socket.io ${versionOf(kind)})`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const parent = io.of(() => {})
    const nsp = parent.createChild('/room')
    let release = () => {}
    const inMiddleware = new Promise<void>((resolve) => {
      nsp.use((_socket: unknown, next: () => void) => { release = next; resolve() })
    })
    const peer = client(t, clientFor(kind), url + '/room')
    await inMiddleware
    await removeNamespace(accessServer(io), parent, nsp)
    const refused: unknown[] = []
    const emitter = createEmitter<Record<string, unknown>>()
    emitter.on('refused', (event) => refused.push(event))
    const refusals = createRefusals(emitter)
    retire(nsp, refusals)
    release()
    await once(peer, 'disconnect')
    t.same(refused, [{ code: codes.UNAVAILABLE, message: 'the namespace was removed while joining; connect again', name: '/room', route: undefined }])
    t.same(refusals.counts(), { [codes.UNAVAILABLE]: 1 }, 'counted once')
    t.equal(accessServer(io).sockets(nsp).length, 0, 'not left in the removed namespace')
  })
}

t.test('retire: broadcasting on a removed namespace still works, and is logged', async (t) => {
  const { io } = await startServer(t)
  const nsp = io.of('/gone')
  const calls: string[] = []
  const emit = nsp.emit
  nsp.emit = function (this: unknown, ...args: unknown[]) { calls.push('emit'); return emit.apply(this, args) }
  retire(nsp, createRefusals(createEmitter()))
  t.equal(nsp.emit('x'), true, 'delegates to the original')
  t.same(calls, ['emit'])
  t.equal(nsp.to('room').constructor.name, 'BroadcastOperator')
  t.equal(typeof nsp.except, 'function')
  const v2 = await startServer(t, '2')
  const legacy = v2.io.of('/gone')
  retire(legacy, createRefusals(createEmitter()))
  t.equal(typeof legacy.except, 'undefined', 'socket.io 2 has no except(): nothing to wrap')
  t.equal(legacy.to('room'), legacy, 'socket.io 2 to() returns the namespace')
})
