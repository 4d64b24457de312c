import t, { type Test } from 'tap'
import { createLifecycle } from '../lib/lifecycle.js'
import { compileRoutes } from '../lib/matcher.js'
import { accessServer } from '../lib/server-compat.js'
import { clientV4, connected, delay, namespaceNames, startServer } from './helpers/io.js'

const matcher = compileRoutes({ room: '/room/:id' })

// Real sockets of real namespaces: `parent.createChild` registers the namespace, a client joins it.
async function setup(t: Test) {
  const { io, url } = await startServer(t)
  const parent = io.of(() => {})
  const removed: string[] = []
  const lifecycle = createLifecycle(accessServer(io), parent, (namespace) => removed.push(namespace.name))
  const join = async (name: string) => {
    const namespace = io._nsps.get(name) ?? parent.createChild(name)
    const socket = new Promise<any>((resolve) => namespace.once('connection', resolve))
    await connected(clientV4(t, url + name))
    return socket
  }
  return { io, parent, lifecycle, removed, join }
}

t.test('a client-created namespace whose only socket was refused is removed a turn later', async (t) => {
  const { io, parent, lifecycle, removed, join } = await setup(t)
  const socket = await join('/room/1')
  lifecycle.adopt(socket.nsp, matcher.match('/room/1')!, true)
  t.equal(lifecycle.matchOf(socket.nsp)!.route.name, 'room')
  socket.disconnect()
  lifecycle.enter(socket)
  lifecycle.settle(socket, false)
  t.same(removed, [], 'not at once')
  await delay(5)
  t.same(removed, ['/room/1'])
  t.equal(lifecycle.matchOf(socket.nsp), undefined)
  t.same(namespaceNames(io), ['/'])
  t.notOk(parent.children.has(socket.nsp))
})

t.test('what keeps a namespace: a connected socket, a pending one, a server-side creation', async (t) => {
  const { lifecycle, removed, join } = await setup(t)
  const a = await join('/room/2')
  lifecycle.adopt(a.nsp, matcher.match('/room/2')!, true)
  lifecycle.enter(a)
  lifecycle.settle(a, false)
  // `a` is still connected: the namespace is not empty.
  await delay(5)
  t.same(removed, [])

  const b = await join('/room/3')
  lifecycle.adopt(b.nsp, matcher.match('/room/3')!, true)
  b.disconnect()
  lifecycle.enter(b)
  lifecycle.settle(b, false)
  // A racer that connected before the turn came (the lifecycle only reads `id` and `nsp`).
  lifecycle.settle({ id: 'racer', nsp: b.nsp } as never, true)
  await delay(5)
  t.same(removed, [], 'a socket that connected in the meantime keeps it')

  const d = await join('/room/4')
  lifecycle.adopt(d.nsp, matcher.match('/room/4')!, false)
  d.disconnect()
  lifecycle.settle(d, false)
  await delay(5)
  t.same(removed, [], 'server-created namespaces are not removed for a refusal')

  const e = await join('/room/5')
  lifecycle.adopt(e.nsp, matcher.match('/room/5')!, true)
  e.disconnect()
  lifecycle.enter(e)
  lifecycle.enter({ id: 'other', nsp: e.nsp } as never)
  lifecycle.settle(e, false)
  await delay(5)
  t.same(removed, [], 'a pending socket keeps it')
})

t.test('removeAll, and a removal already done when the turn comes', async (t) => {
  const { io, lifecycle, removed, join } = await setup(t)
  const a = await join('/room/6')
  lifecycle.adopt(a.nsp, matcher.match('/room/6')!, true)
  a.disconnect()
  lifecycle.settle(a, false)
  await lifecycle.removeAll()
  await delay(5)
  t.same(removed, ['/room/6'], 'removed once')
  t.same(namespaceNames(io), ['/'])
  lifecycle.enter(a)
  lifecycle.settle(a, true)
  t.pass('sockets of unknown namespaces are ignored')
})
