import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import t from 'tap'
import { Server } from 'socket.io'
import { accessServer, type EngineConnection } from '../lib/server-compat.js'
import { clientV2, clientV4, connected, startServer, type ServerKind } from './helpers/io.js'

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
