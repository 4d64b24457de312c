// socket.io 4's connection state recovery next to the router: a routed namespace lives as long as a
// session in it can be recovered, and recovered sockets skip or pass `authorize` as socket.io's
// `skipMiddlewares` says.
import t, { type Test } from 'tap'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, nextEvent, once, startServer, until } from './helpers/io.js'

const CHAT = '/category/:categoryId/item/:itemId/chat'
const NAME = '/category/1/item/1/chat'

// The client comes back on its own, after `reconnectionDelay`, well past the router's grace period.
const GRACE = 20
const BACK_AFTER = 250
const SESSION = 800

async function setup(t: Test, skipMiddlewares: boolean) {
  const { io, url } = await startServer(t, '4', { connectionStateRecovery: { maxDisconnectionDuration: SESSION, skipMiddlewares } })
  const joins: boolean[] = []
  const router = createNamespaceRouter(io, {
    emptyNamespaceTtlMs: GRACE,
    routes: {
      chat: {
        path: CHAT,
        authorize: ({ phase, socket }) => {
          if (phase === 'join') joins.push(Boolean(socket?.recovered))
          return true
        },
      },
    },
  })
  const removals: number[] = []
  router.on('namespace.removed', () => removals.push(Date.now()))
  router.on('dynamic.group.chat', ({ socket }) => {
    if (!socket.recovered) socket.join('room')
  })
  const client = clientV4(t, url + NAME, { reconnection: true, reconnectionDelay: BACK_AFTER, reconnectionDelayMax: BACK_AFTER, randomizationFactor: 0 })
  await connected(client)
  // A client asks to recover from the last broadcast it received: give it one.
  const hello = once(client, 'hello')
  router.namespace('chat', { categoryId: '1', itemId: '1' }).emit('hello')
  await hello
  return { io, router, client, joins, removals }
}

for (const skipMiddlewares of [true, false]) {
  t.test(`a client back after the grace period recovers its session (skipMiddlewares: ${skipMiddlewares})`, async (t) => {
    const { router, client, joins, removals } = await setup(t, skipMiddlewares)
    const namespace = router.namespace('chat', { categoryId: '1', itemId: '1' })
    const left = new Promise<string>((resolve) => namespace.sockets.forEach((socket) => socket.once('disconnect', resolve)))
    // The transport breaks: socket.io keeps the session (a recoverable disconnect reason).
    ;(client.io as any).engine.close()
    t.equal(await left, 'transport close')
    namespace.to('room').emit('missed', 'while away')
    const missed = once(client, 'missed')
    const announced = nextEvent(router, 'dynamic.group.chat')
    await once(client, 'connect')
    t.ok(client.recovered, 'recovered, as without the router')
    t.equal((await missed)[0], 'while away', 'the packet missed while away arrives (with its offset)')
    const { socket } = await announced
    t.ok(socket.rooms.has('room'), 'with its rooms')
    t.equal(router.namespace('chat', { categoryId: '1', itemId: '1' }), namespace, 'in the same namespace')
    t.same(removals, [], 'which was never removed')
    t.same(joins, skipMiddlewares ? [false] : [false, true], skipMiddlewares ? 'authorize is skipped for the recovered socket' : 'authorize runs for the recovered socket')
  })
}

t.test('the namespace goes once no session in it can be recovered any more', async (t) => {
  const { router, client, removals } = await setup(t, true)
  const namespace = router.namespace('chat', { categoryId: '1', itemId: '1' })
  const left = new Promise<number>((resolve) => namespace.sockets.forEach((socket) => socket.once('disconnect', () => resolve(Date.now()))))
  client.io.reconnection(false)
  ;(client.io as any).engine.close()
  const leftAt = await left
  await until(() => removals.length === 1, 'the namespace is removed', 5000)
  const after = removals[0]! - leftAt
  t.ok(after >= SESSION - 5, `kept for the session's lifetime (${after} ms, session ${SESSION} ms, grace ${GRACE} ms)`)
})

t.test('a disconnect that keeps no session leaves only the grace period', async (t) => {
  const { router, client, removals } = await setup(t, true)
  const namespace = router.namespace('chat', { categoryId: '1', itemId: '1' })
  const left = new Promise<number>((resolve) => namespace.sockets.forEach((socket) => socket.once('disconnect', () => resolve(Date.now()))))
  client.disconnect() // "client namespace disconnect": socket.io keeps no session for it
  const leftAt = await left
  await until(() => removals.length === 1, 'the namespace is removed')
  t.ok(removals[0]! - leftAt < SESSION, 'removed after the grace period, not the session lifetime')
})

t.test('with recovery on, a socket disconnected by the removal of its namespace leaves nothing behind', async (t) => {
  const { router, client } = await setup(t, true)
  const gone = once(client, 'disconnect')
  const removed = nextEvent(router, 'namespace.removed')
  await router.close()
  t.same(await removed, { route: 'chat', name: NAME })
  t.equal((await gone)[0], 'io server disconnect', 'its socket was disconnected by the removal')
  t.same(router.stats(), { ...router.stats(), namespaces: 0, sockets: 0, joining: 0 })
})
