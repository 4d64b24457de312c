import t, { type Test } from 'tap'
import { systemClock } from '../lib/clock.js'
import { createLifecycle, type LifecycleOptions } from '../lib/lifecycle.js'
import { compileRoutes } from '../lib/matcher.js'
import { createRefusals } from '../lib/refusals.js'
import { createEmitter } from '../lib/safe-emit.js'
import { accessServer } from '../lib/server-compat.js'
import {
  client as connectClient,
  clientV4,
  clientFor,
  connected,
  namespaceNames,
  once,
  SERVER_LINES,
  startServer,
  until,
  versionOf,
  type ServerKind,
} from './helpers/io.js'
import { manualClock } from './helpers/clock.js'

const matcher = compileRoutes({ room: { path: '/room/:id', maxNamespaces: 2 }, other: '/other/:id' })

// A lifecycle over a real server: `join` creates a namespace under the parent, connects a real client
// and resolves with the server-side socket once the namespace's own middleware let it through.
async function setup(t: Test, kind: ServerKind = '4', options: Partial<LifecycleOptions> = {}) {
  const { io, url } = await startServer(t, kind)
  const parent = io.of(() => {})
  const removed: string[] = []
  const orphans: string[] = []
  // Grace periods run on this clock: a test moves time on, and never waits for it.
  const clock = manualClock()
  const emitter = createEmitter<Record<string, unknown>>()
  emitter.on('namespace.removed', (event) => removed.push((event as { name: string }).name))
  emitter.on('refused', (event) => orphans.push((event as { name: string }).name))
  const lifecycle = createLifecycle(accessServer(io), parent, {
    clock,
    ttl: false,
    maxNamespaces: Infinity,
    perConnection: Infinity,
    perClient: Infinity,
    emitter,
    refusals: createRefusals(emitter),
    ...options,
  })
  const registry = (name: string) => (io._nsps instanceof Map ? io._nsps.get(name) : io.nsps[name])
  // Adopted when its first socket arrives (as the router does for a client's CONNECT), so a short
  // grace period cannot run out before a slow client even got there; `eager` adopts at once.
  const namespace = (name: string, byClient = true, eager = false) => {
    const existing = registry(name)
    if (existing) return existing
    const created = parent.createChild(name)
    const adopt = () => { if (!lifecycle.matchOf(created)) lifecycle.adopt(created, matcher.match(name)!, byClient ? lifecycle.claim(undefined, undefined) : undefined) }
    if (eager) adopt()
    else created.use((_socket: unknown, next: () => void) => { adopt(); next() })
    return created
  }
  const client = (name: string) => connectClient(t, clientFor(kind), url + name)
  const join = async (name: string) => {
    const socket = new Promise<any>((resolve) => namespace(name).once('connection', resolve))
    const peer = client(name)
    await connected(peer)
    return { socket: await socket, peer }
  }
  return { io, url, parent, lifecycle, removed, orphans, namespace, client, join, registry, clock }
}

for (const kind of SERVER_LINES) {
  t.test(`an empty namespace is removed after the grace period (socket.io ${versionOf(kind)})`, async (t) => {
    const { io, parent, lifecycle, removed, join, clock } = await setup(t, kind, { ttl: 150 })
    const { socket, peer } = await join('/room/1')
    lifecycle.settle(socket, true)
    t.equal(lifecycle.matchOf(socket.nsp)?.route.name, 'room')
    clock.advance(200)
    t.equal(clock.pending(), 0, 'no clock runs while a socket is connected')
    t.same(removed, [], 'kept while a socket is connected')
    const nsp = socket.nsp
    peer.close()
    await until(() => clock.pending() === 1, 'the grace period starts when the last socket leaves')
    clock.advance(149)
    t.same(removed, [], 'kept during the grace period')
    clock.advance(1)
    await until(() => removed.length === 1, 'removed once the grace period is over')
    t.same(removed, ['/room/1'])
    t.same(namespaceNames(io), ['/'])
    t.notOk(parent.children.has(nsp))
    t.equal(lifecycle.matchOf(nsp), undefined)
    t.equal(lifecycle.counts().removed, 1)
  })
}

t.test('one socket of two leaving starts no clock; removal disconnects the rest', async (t) => {
  const { lifecycle, removed, join, clock } = await setup(t, '4', { ttl: 20 })
  const a = await join('/room/1')
  lifecycle.settle(a.socket, true)
  const b = await join('/room/1')
  lifecycle.settle(b.socket, true)
  const left = once(a.socket, 'disconnect')
  a.peer.close()
  await left
  t.equal(clock.pending(), 0, 'no clock while b is there')
  clock.advance(60)
  t.same(removed, [], 'b is still there')
  const gone = once(b.peer, 'disconnect')
  await lifecycle.removeAll()
  await gone
  t.same(removed, ['/room/1'])
})

t.test('a socket that connects during the grace period keeps the namespace', async (t) => {
  const { lifecycle, removed, join, clock } = await setup(t, '4', { ttl: 50 })
  const first = await join('/room/1')
  lifecycle.settle(first.socket, true)
  first.peer.close()
  await until(() => clock.pending() === 1, 'the grace period starts')
  clock.advance(20)
  const second = await join('/room/1')
  lifecycle.settle(second.socket, true)
  t.equal(clock.pending(), 0, 'the new socket stopped the clock')
  clock.advance(80)
  t.same(removed, [])
})

t.test('ttl false keeps empty namespaces; server-created ones wait for the grace period too', async (t) => {
  const kept = await setup(t, '4', { ttl: false })
  const { socket, peer } = await kept.join('/room/1')
  kept.lifecycle.settle(socket, true)
  const left = once(socket, 'disconnect')
  peer.close()
  await left
  t.equal(kept.clock.pending(), 0, 'no clock with ttl false')
  t.same(kept.removed, [])

  const timed = await setup(t, '4', { ttl: 20 })
  timed.namespace('/room/2', false, true)
  t.equal(timed.clock.pending(), 1, 'the grace period starts at creation')
  timed.clock.advance(19)
  t.same(timed.removed, [])
  timed.clock.advance(1)
  await until(() => timed.removed.length === 1, 'removed')
  t.same(timed.removed, ['/room/2'], 'a namespace created by server code and never used')
})

t.test('a socket still joining keeps the namespace past the grace period', async (t) => {
  const { io, lifecycle, removed, namespace, client, clock } = await setup(t, '4', { ttl: 20 })
  const nsp = namespace('/room/1')
  let release = () => {}
  nsp.use((socket: any, next: () => void) => {
    lifecycle.enter(socket, true)
    release = next
  })
  const connecting = new Promise<any>((resolve) => nsp.once('connection', resolve))
  const peer = client('/room/1')
  await until(() => lifecycle.counts().joining === 1 && clock.pending() === 1, 'the socket is joining, the clock runs')
  clock.advance(80)
  t.same(removed, [], 'pending: not removed')
  t.equal(lifecycle.counts().joining, 1)
  release()
  lifecycle.settle(await connecting, true)
  await connected(peer)
  const heard = once(peer, 'hello')
  io.of('/room/1').emit('hello')
  t.same(await heard, [], 'the socket is in the live namespace')
})

t.test('a pending socket whose connection closes no longer keeps the namespace', async (t) => {
  const { io, parent, lifecycle, removed, client, clock } = await setup(t, '4', { ttl: 20 })
  // Adopted once the socket is on its way in, so the grace period starts with a pending socket.
  const nsp = parent.createChild('/room/1')
  nsp.use((socket: any) => {
    lifecycle.adopt(nsp, matcher.match('/room/1')!)
    lifecycle.enter(socket, true)
  }) // never calls next
  const peer = client('/room/1')
  await until(() => lifecycle.counts().joining === 1, 'the socket is joining')
  clock.advance(60)
  t.same(removed, [], 'kept past the grace period while the socket is joining')
  peer.close()
  await until(() => lifecycle.counts().joining === 0, 'the closed connection let go of its socket')
  clock.advance(20)
  await until(() => removed.length === 1, 'the namespace is removed')
  t.same(namespaceNames(io), ['/'])
})

t.test('socket.io 4.8: a pending socket refused by a later middleware is noticed', async (t) => {
  const { url, lifecycle, removed, namespace, clock } = await setup(t, '4', { ttl: 20 })
  const nsp = namespace('/room/1')
  nsp.use((socket: any, next: () => void) => { lifecycle.enter(socket, false); next() })
  let refuse = () => {}
  nsp.use((_socket: any, next: (error: Error) => void) => { refuse = () => next(new Error('no')) })
  // The Manager keeps its engine.io connection open for its / socket after the refusal.
  const anchor = clientV4(t, url)
  await connected(anchor)
  // The Manager's socket connects on its own (autoConnect): one CONNECT.
  const peer = anchor.io.socket('/room/1')
  await until(() => lifecycle.counts().joining === 1, 'the socket is in the later middleware')
  clock.advance(100)
  t.same(removed, [], 'kept past the 20 ms grace period while the socket is in a middleware')
  const refused = once(peer, 'connect_error')
  refuse()
  await refused
  await until(() => removed.length === 1, 'the namespace is removed')
  t.equal(anchor.io.engine.readyState, 'open', 'although the client is still connected to the engine')
})

t.test('a client-created namespace whose only socket was refused goes at once', async (t) => {
  const { io, lifecycle, removed, join } = await setup(t, '2')
  const { socket, peer } = await join('/room/1')
  lifecycle.enter(socket, false)
  const gone = once(peer, 'disconnect')
  socket.disconnect()
  await gone
  lifecycle.settle(socket, false)
  await until(() => removed.length === 1, 'the namespace is removed')
  t.same(namespaceNames(io), ['/'])
})

t.test('a client-created namespace whose only joining socket socket.io forgot goes at once', async (t) => {
  const { io, lifecycle, removed, join } = await setup(t)
  const { socket, peer } = await join('/room/1')
  lifecycle.enter(socket, false)
  const gone = once(peer, 'disconnect')
  socket.disconnect()
  await gone
  await until(() => removed.length === 1, 'the namespace is removed')
  t.same(namespaceNames(io), ['/'])
})

t.test('a refusal does not remove a namespace that still has sockets', async (t) => {
  const { lifecycle, removed, join, clock } = await setup(t, '4', { ttl: 10 })
  const a = await join('/room/1')
  lifecycle.enter(a.socket, false)
  lifecycle.settle(a.socket, false)
  // The check for an abandoned namespace runs a turn later.
  await new Promise((resolve) => setImmediate(resolve))
  t.same(removed, [], 'a is still connected (in the registry sense) though the lifecycle saw it refused')
  lifecycle.settle(a.socket, true)
  const b = await join('/room/1')
  lifecycle.enter(b.socket, false)
  lifecycle.settle(b.socket, false)
  clock.advance(30)
  t.same(removed, [], 'a refusal in a populated namespace only restarts the clock, and a is there')
})

t.test('orphans: a socket that reaches a removed namespace is disconnected', async (t) => {
  const { lifecycle, orphans, namespace, client } = await setup(t)
  const nsp = namespace('/room/1')
  let release = () => {}
  nsp.use((socket: any, next: () => void) => {
    lifecycle.enter(socket, true)
    release = next
  })
  const peer = client('/room/1')
  await until(() => lifecycle.counts().joining === 1, 'the socket is joining')
  await lifecycle.removeAll()
  release()
  await once(peer, 'disconnect')
  t.same(orphans, ['/room/1'])
  nsp.emit('into the void')
  t.pass('broadcasting on a removed namespace only logs a debug warning')
})

t.test('caps and counts', async (t) => {
  const { lifecycle, namespace, join } = await setup(t, '4', { maxNamespaces: 3 })
  const room = matcher.routes.get('room')!
  const other = matcher.routes.get('other')!
  t.equal(lifecycle.capExceeded(room), undefined)
  namespace('/room/1', true, true)
  const { socket } = await join('/room/2')
  lifecycle.settle(socket, true)
  t.equal(lifecycle.capExceeded(room), 'route', 'the route allows 2')
  t.equal(lifecycle.capExceeded(other), undefined)
  namespace('/other/1', true, true)
  t.equal(lifecycle.capExceeded(other), 'all routes', 'all routes allow 3')
  t.same(lifecycle.counts(), { namespaces: 3, byRoute: { room: 2, other: 1 }, sockets: 1, socketsByRoute: { room: 1, other: 0 }, joining: 0, removed: 0 })
  t.same(lifecycle.live('room').map(([live, match]) => [live.name, match.params]), [['/room/1', { id: '1' }], ['/room/2', { id: '2' }]], 'the live namespaces of a route')
  t.same(lifecycle.live('nope'), [])
  await lifecycle.removeAll()
  t.same(lifecycle.live('room'), [], 'removed ones are not live')
  t.same(lifecycle.counts(), { namespaces: 0, byRoute: { room: 0, other: 0 }, sockets: 0, socketsByRoute: {}, joining: 0, removed: 3 })
  lifecycle.settle(socket, true)
  t.pass('sockets of removed namespaces are ignored')
})

for (const kind of ['4', '2'] as const) t.test(`claims: counted against a connection and a key until adopted or dropped, once (socket.io ${versionOf(kind)})`, async (t) => {
  const { io, lifecycle, namespace, client } = await setup(t, kind, { perConnection: 1, perClient: 1 })
  let closeListeners = 0
  const connection = { readyState: 'open', on: () => { closeListeners++ }, removeListener() {} }
  t.equal(lifecycle.keyOf(connection, () => 'k'), 'k')
  t.equal(lifecycle.keyOf(connection, () => 'other'), 'k', 'computed once per connection')
  t.equal(lifecycle.clientBound(connection, 'k'), undefined)
  const claim = lifecycle.claim(connection, 'k')
  t.equal(lifecycle.clientBound(connection, 'k'), 'connection', 'a pending creation takes a place')
  claim.drop()
  claim.drop()
  t.equal(lifecycle.clientBound(connection, 'k'), undefined, 'given back once, not twice')
  // Adopted: the namespace holds the key's place, and the connection's until its socket comes.
  const nsp = namespace('/room/7', false, false)
  lifecycle.adopt(nsp, matcher.match('/room/7')!, lifecycle.claim(connection, 'k'))
  t.equal(lifecycle.clientBound({ on() {}, removeListener() {} }, 'k'), 'client', 'the key is at its bound')
  t.equal(lifecycle.clientBound(connection, 'other'), 'connection', 'the connection holds its reservation')
  await lifecycle.removeAll()
  t.equal(lifecycle.clientBound(connection, 'k'), undefined, 'removal gives both back')
  // socket.io 2.x may hold the CONNECT of a creation until `/` is through its middleware: only there does the
  // reservation wait for the connection's closing; on 4.x its socket comes in the same turn.
  t.equal(closeListeners, kind === '2' ? 1 : 0, kind === '2' ? 'one close listener per connection' : 'no close listener')
  const plain = io.of('/plain')
  const socket = new Promise<any>((resolve) => plain.once('connection', resolve))
  client('/plain')
  t.equal(lifecycle.enter(await socket, false), undefined, 'a socket of a namespace the lifecycle does not know is let be')
})

// What a live namespace keeps of its match: a path route's captures are built from its params when asked
// for; a RegExp route's are kept, at their size (the matcher fills them by pushes, which leave room), and
// one frozen empty list serves every RegExp route without groups.
t.test('a live namespace keeps its match compact', async (t) => {
  const { io, parent } = await setup(t)
  const lifecycle = createLifecycle(accessServer(io), parent, {
    ttl: false, maxNamespaces: Infinity, perConnection: Infinity, perClient: Infinity, clock: systemClock, emitter: createEmitter(), refusals: createRefusals(createEmitter()),
  })
  const routes = compileRoutes({ room: '/room/:id/:part', pair: /^\/pair\/(\d+)$/, lobby: /^\/lobby$/, hall: /^\/hall$/ })
  const adopt = (name: string) => {
    const namespace = parent.createChild(name)
    const found = routes.match(name)!
    lifecycle.adopt(namespace, found)
    return { found, kept: lifecycle.matchOf(namespace)! }
  }
  const room = adopt('/room/5/b')
  t.equal(room.kept.route, room.found.route)
  t.same(room.kept.params, { id: '5', part: 'b' })
  t.same(room.kept.captures, ['5', 'b'], 'a path route: its params in pattern order')
  const pair = adopt('/pair/7')
  t.same(pair.kept.captures, ['7'])
  t.not(pair.kept.captures, pair.found.captures, 'a RegExp route: a copy of its own size')
  t.equal(pair.kept.captures, pair.kept.captures, 'kept, not built again')
  const lobby = adopt('/lobby')
  const hall = adopt('/hall')
  t.same(lobby.kept.captures, [])
  t.equal(lobby.kept.captures, hall.kept.captures, 'one empty list for all')
  t.ok(Object.isFrozen(lobby.kept.captures), 'which nobody can change')
  await lifecycle.removeAll()
})

t.test('a socket let go twice (refused, then refused again) is counted out once', async (t) => {
  const { lifecycle, namespace, url } = await setup(t, '4', { perConnection: 2 })
  const names = ['/room/1', '/room/2', '/other/1', '/other/2']
  const held: any[] = []
  const entered: Array<string | undefined> = []
  // One engine.io connection (a Manager): its sockets wait in the middleware, counted against it.
  for (const name of names) {
    namespace(name, true, true).use((socket: any) => {
      held.push(socket)
      entered.push(lifecycle.enter(socket, true))
    })
  }
  const manager = clientV4(t, url).io
  // A Manager's socket connects by itself.
  manager.socket('/room/1')
  await until(() => held.length === 1, 'the first socket is joining')
  lifecycle.settle(held[0], false)
  lifecycle.settle(held[0], false)
  for (const name of names.slice(1)) manager.socket(name)
  await until(() => held.length === 4, 'the three later sockets reached the middleware')
  t.same(entered, [undefined, undefined, undefined, 'connection'], 'two held, the third refused: the first was counted out once')
  t.equal(lifecycle.counts().joining, 2)
})
