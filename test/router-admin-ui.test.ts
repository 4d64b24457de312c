// @socket.io/admin-ui on a server with the router, seen through a real admin client on `/admin`: the events
// the admin UI is built from (all_sockets, socket_connected, room_joined, socket_disconnected, server_stats).
import { instrument } from '@socket.io/admin-ui'
import t from 'tap'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, nextEvent, startServer, until } from './helpers/io.js'

type Stats = { namespaces: { name: string; socketsCount: number }[] }

// Collects everything the admin namespace sends to one admin client.
function adminClient(t: Parameters<typeof clientV4>[0], url: string) {
  const admin = clientV4(t, url + '/admin')
  const heard: { event: string; args: any[] }[] = []
  admin.onAny((event: string, ...args: any[]) => heard.push({ event, args }))
  let stats: Stats | undefined
  admin.on('server_stats', (latest: Stats) => (stats = latest))
  return {
    admin,
    heard,
    /** The namespaces of the latest server_stats (sent every 2 s), once it satisfies `predicate`. */
    async statsWhere(predicate: (names: Map<string, number>) => boolean, what: string): Promise<Map<string, number>> {
      let names = new Map<string, number>()
      await until(() => {
        names = new Map((stats?.namespaces ?? []).map(({ name, socketsCount }) => [name, socketsCount]))
        return predicate(names)
      }, what, 8_000)
      return names
    },
  }
}

for (const order of ['admin-ui first', 'router first'] as const) {
  t.test(`admin-ui (${order}): routed namespaces, their sockets and rooms show up, removed ones go away`, async (t) => {
    const { io, url } = await startServer(t)
    const start = () => {
      const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 0, routes: { chat: '/chat/:id' } })
      router.on('dynamic.group.chat', ({ socket }) => socket.join('spoilers'))
      return router
    }
    let router = order === 'router first' ? start() : undefined
    instrument(io, { auth: false, mode: 'development' })
    router ??= start()
    const { admin, heard, statsWhere } = adminClient(t, url)
    await connected(admin)
    await until(() => heard.some(({ event }) => event === 'all_sockets'), 'the admin client has the socket list')

    const chat = clientV4(t, url + '/chat/1')
    await connected(chat)
    await until(() => heard.some(({ event, args }) => event === 'room_joined' && args[0] === '/chat/1' && args[1] === 'spoilers' && args[2] === chat.id), 'admin-ui sees the room')
    t.ok(heard.some(({ event, args }) => event === 'socket_connected' && args[0].nsp === '/chat/1' && args[0].id === chat.id), 'and the socket')
    const live = await statsWhere((names) => names.get('/chat/1') === 1, 'server_stats lists the routed namespace')
    t.equal(live.get('/admin'), 1, 'the admin client, in its own namespace')

    const id = chat.id
    const removed = nextEvent(router, 'namespace.removed')
    chat.close()
    t.equal((await removed).name, '/chat/1')
    await until(() => heard.some(({ event, args }) => event === 'socket_disconnected' && args[0] === '/chat/1' && args[1] === id), 'admin-ui sees it leave')
    const after = await statsWhere((names) => !names.has('/chat/1'), 'server_stats no longer lists it')
    t.ok(after.has('/admin'))

    // The admin namespace is no routed namespace: not counted, not removed when empty, and admin-ui's own.
    t.equal(router.stats().namespaces, 0)
    admin.close()
    await until(() => io._nsps.get('/admin').sockets.size === 0, 'the admin client is gone')
    const again = adminClient(t, url)
    const config = new Promise<any[]>((resolve) => again.admin.once('config', (...args: any[]) => resolve(args)))
    await connected(again.admin)
    t.ok((await config)[0].supportedFeatures.length > 0, 'a later admin client is served by admin-ui')
    t.equal(router.stats().created, 1, 'nothing but /chat/1 was ever routed')
  })
}

t.test('admin-ui with a route that would match /admin: instrumented first, /admin stays admin-ui\'s', async (t) => {
  const { io, url } = await startServer(t)
  instrument(io, { auth: false, mode: 'development' })
  const router = createNamespaceRouter(io, { emptyNamespaceTtlMs: 0, routes: { room: '/:room' } })
  const room = clientV4(t, url + '/lobby')
  await connected(room)
  const { admin, statsWhere } = adminClient(t, url)
  await connected(admin)
  await statsWhere((names) => names.get('/lobby') === 1 && names.get('/admin') === 1, 'both are listed')
  admin.close()
  room.close()
  await until(() => router.stats().namespaces === 0, '/lobby is removed')
  t.equal(router.stats().created, 1, '/admin was never routed')
  const again = clientV4(t, url + '/admin')
  const config = new Promise<any[]>((resolve) => again.once('config', (...args: any[]) => resolve(args)))
  await connected(again)
  t.ok((await config)[0].supportedFeatures, 'still admin-ui behind /admin')
})
