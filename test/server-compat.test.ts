import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import t from 'tap'
import { Server } from 'socket.io'
import { accessServer, type EngineConnection } from '../lib/server-compat.js'
import { clientV2, clientV4, connected, once, startServer, until, type ServerKind } from './helpers/io.js'

const require = createRequire(import.meta.url)

for (const [kind, generation] of [['2', 2], ['4', 4]] as [ServerKind, number][]) {
  t.test(`socket.io ${kind}.x registry and sockets`, async (t) => {
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
    const client = clientV2(t, url)
    await connected(client)
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

  for (const kind of ['2', '4']) {
    const late = kind === '2' ? require('socket.io-v2')() : new Server()
    const lateSeen: unknown[] = []
    const stopLate = accessServer(late).onEngineConnection((connection) => lateSeen.push(connection))
    const http = createServer()
    late.attach(http)
    t.notOk(Object.hasOwn(late, 'bind'), 'the bind hook removes itself')
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { late.close(); http.close() })
    const port = (http.address() as { port: number }).port
    await connected(kind === '2' ? clientV2(t, `http://127.0.0.1:${port}`) : clientV4(t, `http://127.0.0.1:${port}`))
    t.equal(lateSeen.length, 1, `socket.io ${kind} attached after the watch`)
    stopLate()
    const never = kind === '2' ? require('socket.io-v2')() : new Server()
    t.same(accessServer(never).engineConnections(), [], 'no connections before an engine')
    accessServer(never).onEngineConnection(() => {})()
    t.notOk(Object.hasOwn(never, 'bind'), 'stopping before bind restores bind')
  }
})

for (const kind of ['2', '4.0', '4.6', '4'] as ServerKind[]) {
  t.test(`socket.io ${kind === '4' ? '4.8' : kind}: sockets leaving, joining sockets, recovery options`, async (t) => {
    const { io, url } = await startServer(t, kind, kind === '2' ? {} : { cleanupEmptyChildNamespaces: true })
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
    let refuse = false
    const joining: boolean[] = []
    let last: any
    namespace.use((socket: any, next: (error?: Error) => void) => {
      last = socket
      joining.push(server.isJoining(namespace, socket))
      next(refuse ? new Error('refused') : undefined)
    })
    const member = new Promise<any>((resolve) => namespace.once('connection', resolve))
    const client = kind === '2' ? clientV2(t, url + '/watched-1') : clientV4(t, url + '/watched-1')
    await connected(client)
    const socket = await member
    t.same(joining, [true], 'in its middleware, a socket is joining')
    t.equal(server.isJoining(namespace, socket), kind === '2', 'once connected, a socket is not joining (2.x cannot tell)')
    socket.disconnect()
    await until(() => left.length === 1, 'the disconnect is heard')
    t.same(left, [socket.id])
    t.equal(server.lookup('/watched-1'), namespace, 'still registered: removal is the router’s')
    refuse = true
    const refused = kind === '2' ? clientV2(t, url + '/watched-1') : clientV4(t, url + '/watched-1')
    await once(refused, kind === '2' ? 'error' : 'connect_error')
    if (kind === '4') await until(() => left.length === 2, 'socket.io 4.8 forgets a socket a middleware refused')
    t.equal(left.length, kind === '4' ? 2 : 1, 'older versions never added the refused socket')
    t.equal(server.isJoining(namespace, last), kind === '2' || kind === '4.0', 'a refused socket is not joining (2.x to 4.4 leave no trace of it)')
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
