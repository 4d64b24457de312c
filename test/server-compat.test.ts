import { createServer } from 'node:http'
import t from 'tap'
import { accessServer, removeMiddleware, withoutSharedEncoding, type EngineConnection } from '../lib/server-compat.js'
import {
  client,
  clientFor,
  clientV4,
  connected,
  EVERY_SERVER,
  isLegacyServer,
  refusal,
  SERVER_LINES,
  startServer,
  unattachedServer,
  until,
  versionOf,
} from './helpers/io.js'

for (const kind of EVERY_SERVER) {
  const generation = isLegacyServer(kind) ? 2 : 4
  t.test(`socket.io ${versionOf(kind)} registry and sockets`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const server = accessServer(io)
    t.equal(server.generation, generation)
    t.equal(server.lookup('/'), io.sockets)
    t.equal(server.lookup('/nope'), undefined)
    t.equal(server.lookup('constructor'), undefined, 'prototype keys are not namespaces')
    const made = server.constructDetached('/made')
    t.equal(made.name, '/made')
    t.equal(server.lookup('/made'), undefined, 'constructDetached does not register')
    t.equal(made.adapter.constructor.name, 'DetachedAdapter', 'on an adapter that talks to nobody')
    t.not(io.sockets.adapter.constructor.name, 'DetachedAdapter', 'the server keeps its own adapter')
    const detached = made.adapter as any
    detached.init(); detached.addAll(); detached.del(); detached.delAll(); detached.close()
    t.equal(detached.nsp, made)
    server.register('/made', made)
    t.equal(server.lookup('/made'), made)
    server.unregister('/made', io.sockets)
    t.equal(server.lookup('/made'), made, 'unregister only removes the namespace it was given')
    server.unregister('/made', made)
    t.equal(server.lookup('/made'), undefined)
    await connected(client(t, clientFor(kind), url))
    t.equal(server.sockets(io.sockets).length, 1)
    t.equal(server.socketCount(io.sockets), 1)
    t.equal(server.engineConnections().length, 1)
    const check = () => {}
    io.of(check)
    t.ok(server.isLastParent(check))
    const later = () => {}
    io.of(later)
    t.notOk(server.isLastParent(check))
    server.removeParent(check)
    server.removeParent(later)
    t.equal(io.parentNsps.size, 0)
  })
}

for (const kind of EVERY_SERVER) {
  t.test(`socket.io ${versionOf(kind)}: parents registered earlier are watched, later ones are not`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const server = accessServer(io)
    const own = io.of(/^\/own\/\d+$/)
    // An own createChild, as the router's parent has: restored, not deleted, on stop.
    const ownCreate = own.createChild
    own.createChild = function (this: unknown, name: string) { return ownCreate.call(this, name) }
    const wrapped = own.createChild
    const first = io.of(/^\/first\/\d+$/)
    const mine = io.of((_name: string, _auth: unknown, next: (error: null, allow: boolean) => void) => next(null, false))
    const later = io.of(/^\/later\/\d+$/)
    const names: string[] = []
    const watch = server.watchEarlierParents(mine, (name) => names.push(name))
    t.equal(watch.count, 2, 'the two parents asked before it')
    await connected(client(t, clientFor(kind), url + '/first/1'))
    await connected(client(t, clientFor(kind), url + '/own/1'))
    await connected(client(t, clientFor(kind), url + '/later/1'))
    t.same(names, ['/first/1', '/own/1'], 'each namespace an earlier parent created, once it exists')
    t.ok(server.lookup('/first/1'), 'and socket.io registered it as usual')
    watch.stop()
    t.equal(own.createChild, wrapped, 'an own createChild is put back')
    t.notOk(Object.hasOwn(first, 'createChild'), 'the prototype one is used again')
    t.notOk(Object.hasOwn(later, 'createChild'))
    const again = server.watchEarlierParents(mine, () => {})
    first.createChild = ownCreate
    again.stop()
    t.equal(first.createChild, ownCreate, 'a createChild replaced since is left alone')
    t.equal(server.watchEarlierParents(io.of(() => {}), () => {}).count, 4, 'a parent registered last has every other one before it')
  })
}

t.test('engine connections: existing ones, new ones, and a late engine', async (t) => {
  const { io, url } = await startServer(t)
  const early = clientV4(t, url)
  await connected(early)
  const seen: EngineConnection[] = []
  const stop = accessServer(io).onEngineConnection((connection) => seen.push(connection))
  t.equal(seen.length, 1, 'a connection made before the watch')
  await connected(clientV4(t, url))
  t.equal(seen.length, 2, 'a new connection')
  stop()
  await connected(clientV4(t, url))
  t.equal(seen.length, 2, 'nothing after stop')

  for (const kind of EVERY_SERVER) {
    const late = unattachedServer(kind)
    const lateSeen: unknown[] = []
    const stopLate = accessServer(late).onEngineConnection((connection) => lateSeen.push(connection))
    const http = createServer()
    late.attach(http)
    t.notOk(Object.hasOwn(late, 'bind'), 'the bind hook removes itself')
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { late.close(); http.close() })
    const port = (http.address() as { port: number }).port
    await connected(client(t, clientFor(kind), `http://127.0.0.1:${port}`))
    t.equal(lateSeen.length, 1, `socket.io ${versionOf(kind)} attached after the watch`)
    stopLate()
    const never = unattachedServer(kind)
    t.same(accessServer(never).engineConnections(), [], 'no connections before an engine')
    accessServer(never).onEngineConnection(() => {})()
    t.notOk(Object.hasOwn(never, 'bind'), 'stopping before bind restores bind')
  }
})

// Only 4.7 and later tell the namespace (`_remove`) of a socket its middleware refused; the router hears the
// refusal itself on every version, so 4.7+ report it twice.
for (const kind of EVERY_SERVER) {
  t.test(`socket.io ${versionOf(kind)}: sockets leaving and refused, recovery options`, async (t) => {
    const { io, url } = await startServer(t, kind, isLegacyServer(kind) ? {} : { cleanupEmptyChildNamespaces: true })
    const server = accessServer(io)
    t.equal(server.recovery(), undefined, 'no connection state recovery')
    // A parent's child, as the router makes them: socket.io 4.6+ would delete it once empty.
    const parent = io.of(/^\/watched-\d$/)
    const namespace = parent.createChild('/watched-1')
    const left: string[] = []
    server.watchLeaving(namespace, function (this: unknown, socket: any) {
      t.equal(this, namespace)
      left.push(socket.id)
    })
    // The wrappers are shared, on a prototype between the namespace and its class's.
    t.notOk(Object.hasOwn(namespace, isLegacyServer(kind) ? 'remove' : '_remove'), 'no wrapper of its own')
    t.notOk(Object.hasOwn(namespace, 'run'))
    const sibling = parent.createChild('/watched-2')
    server.watchLeaving(sibling, function () {})
    t.equal(Object.getPrototypeOf(Object.getPrototypeOf(sibling)), Object.getPrototypeOf(Object.getPrototypeOf(namespace)), 'over the same class prototype')
    let refuse = false
    namespace.use((_socket: any, next: (error?: Error) => void) => next(refuse ? new Error('refused') : undefined))
    // The list trimmed to its size still runs: the refusals below come from it.
    const middleware = () => (namespace._fns ?? namespace.fns) as unknown[]
    const before = middleware()
    server.compactMiddleware(namespace)
    t.not(middleware(), before, `socket.io ${versionOf(kind)}: a list of its own size`)
    t.same(middleware(), before)
    const member = new Promise<any>((resolve) => namespace.once('connection', resolve))
    await connected(client(t, clientFor(kind), url + '/watched-1'))
    const socket = await member
    socket.disconnect()
    await until(() => left.length === 1, 'the disconnect is heard')
    t.same(left, [socket.id])
    t.equal(server.lookup('/watched-1'), namespace, 'still registered: removal is the router’s')
    refuse = true
    const refused = await refusal(clientFor(kind), client(t, clientFor(kind), url + '/watched-1'))
    t.equal(refused.message, 'refused')
    // Heard once on every version: 4.7+ tell of it themselves, 2.x to 4.6 say nothing and are watched.
    await until(() => left.length === 2, `socket.io ${versionOf(kind)}: a socket a middleware refused is heard`)
    t.not(left[1], socket.id)
    // A second refusal, after the first told which version this is: still heard, and still once.
    const again = await refusal(clientFor(kind), client(t, clientFor(kind), url + '/watched-1'))
    t.equal(again.message, 'refused')
    await until(() => left.length === 3, `socket.io ${versionOf(kind)}: a second refused socket is heard`)
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(new Set(left).size, 3, 'each socket once')
  })
}

for (const kind of EVERY_SERVER) {
  t.test(`socket.io ${versionOf(kind)}: children share one middleware list until one uses its own`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const server = accessServer(io)
    const parent = io.of(/^\/shared-\d$/)
    const seen: string[] = []
    parent.use((socket: any, next: () => void) => {
      seen.push(socket.nsp.name)
      next()
    })
    const [one, two] = ['/shared-1', '/shared-2'].map((name) => {
      const child = parent.createChild(name)
      server.compactMiddleware(child)
      return child
    })
    const middleware = (namespace: any) => (namespace._fns ?? namespace.fns) as unknown[]
    t.equal(middleware(one), middleware(two), 'one list for both')
    t.not(middleware(one), middleware(parent), 'not the parent’s')
    t.same(middleware(one), middleware(parent))
    one.use((_socket: any, next: (error?: Error) => void) => next(new Error('one only')))
    one.use((_socket: any, next: () => void) => next())
    t.equal(middleware(one).length, 3, 'its own list, with what it added')
    t.equal(middleware(two).length, 1, 'the other keeps the shared one')
    t.equal(server.middlewareCount(one), 3, 'middlewareCount reads its own list')
    t.equal(server.middlewareCount(two), 1, 'and the shared one')
    t.same(middleware(two), middleware(parent))
    // A list of other functions, or of another length, gets a shared list of its own.
    const other = io.of('/other')
    other.use(() => {})
    server.compactMiddleware(other)
    t.not(middleware(other), middleware(two))
    server.compactMiddleware(one)
    t.equal(middleware(one).length, 3)
    t.not(middleware(one), middleware(two))
    const joined = new Promise<any>((resolve) => two.once('connection', resolve))
    await connected(client(t, clientFor(kind), url + '/shared-2'))
    // 4.7 made `_cleanup()` tell the namespace (`_remove`) of a socket whose join ended without a connection.
    const [major, minor] = versionOf(kind).split('.').map(Number) as [number, number]
    t.equal(server.removesAbandoned(await joined), major > 4 || (major === 4 && minor >= 7), `socket.io ${versionOf(kind)}: removesAbandoned`)
    const refused = await refusal(clientFor(kind), client(t, clientFor(kind), url + '/shared-1'))
    t.equal(refused.message, 'one only')
    t.same(seen, ['/shared-2', '/shared-1'], 'the parent’s middleware runs in both')
  })
}

t.test('socket.io 4.8: the recovery options as the server normalised them', async (t) => {
  const { io } = await startServer(t, '4', { connectionStateRecovery: { maxDisconnectionDuration: 1234 } })
  t.same(accessServer(io).recovery(), { maxDisconnectionDuration: 1234, skipMiddlewares: true })
  const other = await startServer(t, '4', { connectionStateRecovery: { skipMiddlewares: false } })
  t.same(accessServer(other.io).recovery(), { maxDisconnectionDuration: 120_000, skipMiddlewares: false })
})

t.test('legacyName: what each version reads from a socket.io-client 2 CONNECT before any check', async (t) => {
  const old = accessServer((await startServer(t, '4.7')).io)
  const current = accessServer((await startServer(t, '4')).io)
  const v2 = accessServer((await startServer(t, '2')).io)
  for (const server of [old, current, v2]) {
    t.equal(server.legacyName('/ok'), '/ok')
    t.equal(server.legacyName('/a b'), '/a%20b')
    t.equal(server.legacyName('/a#b'), '/a')
  }
  t.equal(old.legacyName('/a/../b'), '/a/../b', 'url.parse keeps dot segments')
  t.equal(v2.legacyName('?x'), undefined, 'url.parse finds no path')
  t.equal(current.legacyName('/a/../b'), '/b', '4.8 resolves them, as a URL')
  t.equal(current.legacyName('//category/1'), '/1', 'and reads //x as a host')
  t.equal(current.legacyName('//['), undefined, 'a name that is no URL')
})

for (const kind of SERVER_LINES) {
  t.test(`socket.io ${versionOf(kind)}: a parent's children and a namespace's middleware`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const server = accessServer(io)
    const parent = io.of(/^\/kid-\d$/)
    const kid = parent.createChild('/kid-1')
    t.ok(parent.children.has(kid))
    server.forgetChild(parent, kid)
    t.notOk(parent.children.has(kid), 'out of the children the parent reaches')
    server.forgetChild({}, kid)
    // `/` with a middleware taken out again: a client still connects, and the middleware no longer runs.
    let ran = 0
    const check = (_socket: unknown, next: () => void) => { ran++; next() }
    io.sockets.use(check)
    removeMiddleware(io.sockets, check)
    const list = (io.sockets._fns ?? io.sockets.fns) as unknown[]
    t.equal(list.length, isLegacyServer(kind) ? 1 : 0, isLegacyServer(kind) ? '2.x: a pass-through in its place' : 'removed')
    t.notOk(list.includes(check))
    await connected(client(t, clientFor(kind), url))
    t.equal(ran, 0)

    // The creation of a function parent's children, for each CONNECT its check accepts.
    const checked = io.of((_name: string, _auth: unknown, next: (error: null, allow: boolean) => void) => next(null, true))
    const asked: string[] = []
    const own = server.replaceChildCreation(checked, (name) => {
      asked.push(name)
      return own.call(checked, name)
    })
    t.equal(checked.createChild('/made-here').name, '/made-here', "socket.io's own creation goes through it")
    await connected(client(t, clientFor(kind), url + '/made-by-connect'))
    t.same(asked, ['/made-here', '/made-by-connect'])
    t.ok(checked.children.has(server.lookup('/made-by-connect')), "socket.io's own creation made it a child")
  })
}

t.test('socket.io 4.8: a broadcast over WebSocket shares its encoding, which a rewritten packet leaves out', async (t) => {
  const { io, url } = await startServer(t, '4')
  const joined = new Promise<any>((resolve) => io.on('connection', resolve))
  const peer = clientV4(t, url, { transports: ['websocket'] })
  await connected(peer)
  const socket = await joined
  const sent = new Promise<Record<string, unknown>>((resolve) => socket.conn.once('packetCreate', (packet: any) => resolve(packet.options)))
  const heard = new Promise((resolve) => peer.once('news', resolve))
  io.emit('news', 'all')
  const shared = await sent
  t.ok('wsPreEncodedFrame' in shared, 'socket.io-adapter 2.5 encodes the frame once for every recipient')
  const before = { ...shared }
  const own = withoutSharedEncoding(shared)
  t.notOk('wsPreEncodedFrame' in own)
  t.notOk('wsPreEncoded' in withoutSharedEncoding({ wsPreEncoded: '42["news"]', compress: true }))
  t.same(withoutSharedEncoding({ wsPreEncoded: 'x', compress: true }), { compress: true }, 'the rest kept')
  t.same(shared, before, 'the shared options are untouched')
  t.equal(await heard, 'all')
})
