import t from 'tap'
import { compileRoutes } from '../lib/matcher.js'
import { createAliases, splitNamespace, type AliasOptions } from '../lib/namespace-alias.js'
import { createNamespaceRouter } from '../lib/router.js'
import { accessServer } from '../lib/server-compat.js'
import {
  accepts,
  clientV2,
  clientV4,
  connected,
  EVERY_SERVER,
  isLegacyServer,
  nextEvent,
  once,
  SERVER_LINES,
  startServer,
  versionOf,
} from './helpers/io.js'

const NS = '/category/1/item/2/chat'

// What the aliases decide with, on a real server of `kind`: one route, `/routed`, and a parent check that
// socket.io asks last (registered after any other).
async function aliasOptions(t: Parameters<typeof startServer>[0], kind: '2' | '4'): Promise<AliasOptions & { io: any }> {
  const { io } = await startServer(t, kind)
  const parentCheck = (_name: string, _query: unknown, next: (error: null, allow: boolean) => void) => next(null, false)
  io.of(parentCheck)
  return { io, server: accessServer(io), matcher: compileRoutes({ routed: '/routed' }), maxNameLength: 256, parentCheck }
}

t.test('splitNamespace reads the namespace of every packet shape', async (t) => {
  t.same(splitNamespace('0/chat?ns=x'), { head: '0', nsp: '/chat?ns=x', rest: '' })
  t.same(splitNamespace('2/chat,["hi"]'), { head: '2', nsp: '/chat', rest: ',["hi"]' })
  t.same(splitNamespace('51-/chat,["hi",{"_placeholder":true,"num":0}]'), {
    head: '51-',
    nsp: '/chat',
    rest: ',["hi",{"_placeholder":true,"num":0}]',
  })
  t.equal(splitNamespace('2["hi"]'), undefined, 'root namespace')
  t.equal(splitNamespace('212["hi"]'), undefined, 'root namespace with an ack id')
  t.equal(splitNamespace('51-["x"]'), undefined, 'binary on the root namespace')
})

t.test('aliases start at a CONNECT for //name or a name socket.io would rewrite, and rewrite both ways', async (t) => {
  const listeners = new Map<string, (packet: any) => void>()
  const connection = {
    protocol: 3,
    on: (event: string, fn: (packet: any) => void) => listeners.set(event, fn),
    removeListener: (event: string) => listeners.delete(event),
  }
  // socket.io 2 reads a name with url.parse: `/bad path` would reach any check as `/bad%20path`.
  const options = await aliasOptions(t, '2')
  const aliases = createAliases(options)
  aliases.watch(connection)
  // engine.io calls listeners with the connection as `this`; the outgoing one only exists once the
  // connection has an alias.
  const incoming = (packet: any): void => listeners.get('packet')?.call(connection, packet)
  const outgoing = (packet: any): void => listeners.get('packetCreate')?.call(connection, packet)
  const send = (data: any, options?: object): { data: any; options?: object } => {
    const packet = { type: 'message', data, options }
    outgoing(packet)
    return packet
  }
  const receive = (data: any, type = 'message'): any => {
    const packet = { type, data }
    incoming(packet)
    return packet.data
  }
  t.equal(send('0/routed').data, '0/routed', 'nothing is aliased before a CONNECT')
  t.equal(receive('2//routed,["x"]'), '2//routed,["x"]', 'an event before its CONNECT is left alone')
  t.equal(receive('0//other'), '0//other', 'a //name whose canonical name is not routed is left alone')
  t.equal(receive('3probe', 'ping'), '3probe', 'engine packets are left alone')
  t.equal(receive(Buffer.from('x')).toString(), 'x', 'binary attachments are left alone')
  t.equal(receive('2["x"]'), '2["x"]', 'the root namespace is left alone')
  t.equal(receive('0{"token":"t"}'), '0{"token":"t"}', 'a CONNECT to the root namespace is left alone')
  t.equal(receive('0//routed?ns=/routed'), '0/routed?ns=/routed', 'the query is kept')
  t.equal(receive('2//routed,["x"]'), '2/routed,["x"]')
  t.equal(receive('0//routed'), '0/routed', 'a second CONNECT reuses the alias')
  t.equal(receive('2/other,["x"]'), '2/other,["x"]', 'an event for a name without an alias is left alone')
  const ping = { type: 'ping', data: '2/routed' }
  outgoing(ping)
  t.equal(ping.data, '2/routed', 'engine packets going out are left alone')
  t.equal(receive('0/plain'), '0/plain', 'a valid name is left alone')
  t.equal(receive('0/bad%20name'), '0/bad%20name', 'an invalid name socket.io reads as it is needs no stand-in')
  const shared = { wsPreEncodedFrame: ['frame'], wsPreEncoded: '4x', compress: true }
  const packet = send('2/routed,["y"]', shared)
  t.equal(packet.data, '2//routed,["y"]')
  t.same(packet.options, { compress: true }, 'pre-encoded frames are dropped for this recipient')
  t.same(shared, { wsPreEncodedFrame: ['frame'], wsPreEncoded: '4x', compress: true }, 'the shared options are untouched')
  t.equal(send('2/other,["y"]').data, '2/other,["y"]')
  t.equal(send('2["y"]').data, '2["y"]')
  t.equal(send(Buffer.from('x')).data.toString(), 'x')
  t.equal(send('2/routed,["z"]').data, '2//routed,["z"]', 'no options object is fine')
  t.same(send(['2/routed,["a"]', '2/other,["b"]']).data, ['2//routed,["a"]', '2/other,["b"]'], 'arrays (engine.io 5.1, 5.2)')
  const untouched = ['2/other,["b"]']
  t.equal(send(untouched).data, untouched, 'an array with nothing to rename is kept as it is')

  t.equal(receive('0/bad path'), '0/~ns-router-refusal-1', 'a stand-in for a name socket.io would rewrite')
  t.equal(aliases.standIn('/~ns-router-refusal-1'), '/bad path', 'the check finds the name the client asked for')
  t.equal(aliases.standIn('/routed'), undefined, 'an alias of a routed name is no stand-in')
  t.equal(send('4/~ns-router-refusal-1,{"message":"no"}').data, '4/bad path,{"message":"no"}', 'the refusal goes back under the client name')
  t.equal(aliases.standIn('/~ns-router-refusal-1'), undefined, 'and releases the stand-in')
  t.equal(send('4/~ns-router-refusal-1,{}').data, '4/~ns-router-refusal-1,{}')
  t.equal(receive('0/bad path'), '0/~ns-router-refusal-2', 'asked again: a new stand-in')
  listeners.get('close')!({})
  t.equal(aliases.standIn('/~ns-router-refusal-2'), undefined, 'closing the connection releases the rest')
  t.equal(send('2/routed,["z"]').data, '2/routed,["z"]', 'nothing is renamed once every alias is released')
  aliases.unwatch(connection)
  t.equal(listeners.size, 0)
})

t.test('stand-ins: only for socket.io-client 2 connections, and only while the router\'s parent is asked last', async (t) => {
  // socket.io 4.8 reads a v2 client's name as a URL: `/a#b` would reach any check as `/a`.
  const options = await aliasOptions(t, '4')
  const aliases = createAliases(options)
  const watched = (protocol: number) => {
    const listeners = new Map<string, (packet: any) => void>()
    const connection = { protocol, on: (event: string, fn: (packet: any) => void) => listeners.set(event, fn), removeListener: (event: string) => listeners.delete(event) }
    aliases.watch(connection)
    return (data: string): string => {
      const packet = { type: 'message', data }
      listeners.get('packet')!.call(connection, packet)
      return packet.data
    }
  }
  const v4 = watched(4)
  const v2 = watched(3)
  t.equal(v4('0/a#b,'), '0/a#b,', 'a v3/v4 connection: its names reach the check as they are')
  t.equal(v2('0/a#b'), '0/~ns-router-refusal-1', 'a socket.io-client 2 connection gets a stand-in')
  t.equal(aliases.standIn('/~ns-router-refusal-1'), '/a#b')
  t.equal(v4('0//routed,'), '0/routed,', 'a //name is read on every connection')
  t.equal(v2('0/c%20d'), '0/c%20d', 'an invalid name the URL reading keeps needs no stand-in')
  // A parent registered after the router's is asked after it: the router's refusal would not be final.
  options.io.of(() => {})
  t.equal(v2('0/c#d'), '0/c#d', 'no stand-in while another parent is asked after the router\'s')
})

// The seed's frontend snippet asks for `${serverIoUrl}/${namespace}`, i.e. //category/1/item/2/chat.
// socket.io 4.8 parses that as a URL with host "category"; 4.0 to 4.7, 3.1 and 2.x keep the path. Every
// server that takes socket.io-client 2 (all but 3.0); other clients: router-versions.test.ts.
for (const kind of EVERY_SERVER.filter((kind) => accepts(kind, '2'))) {
  t.test(`the seed snippet verbatim on socket.io ${versionOf(kind)}`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
    router.on('dynamic.group.chat', ({ socket }) => socket.on('say', (text: string) => socket.broadcast.emit('said', text)))
    const announced = nextEvent(router, 'dynamic.group.chat')
    const serverIoUrl = url
    const namespace = '/category/1/item/2/chat'
    const socket = clientV2(t, `${serverIoUrl}/${namespace}`, { query: `ns=${namespace}`, resource: 'socket.io' })
    const event = await announced
    t.same(event.params, { categoryId: '1', itemId: '2' })
    t.equal(event.namespace.name, NS)
    await connected(socket)
    event.socket.emit('topic', 'hello')
    t.same(await once(socket, 'topic'), ['hello'])

    // A canonical client in the same namespace: broadcasts cross in both directions.
    const peer = isLegacyServer(kind) ? clientV2(t, url + NS, { query: `ns=${NS}` }) : clientV4(t, url + NS)
    await connected(peer)
    const toSeed = once(socket, 'said')
    peer.emit('say', 'to the seed client')
    t.same(await toSeed, ['to the seed client'])
    const toPeer = once(peer, 'said')
    socket.emit('say', 'from the seed client')
    t.same(await toPeer, ['from the seed client'])
  })
}

for (const kind of SERVER_LINES.filter((kind) => accepts(kind, '2'))) {
  t.test(`the alias works over HTTP long-polling too (socket.io ${versionOf(kind)})`, async (t) => {
    const { io, url } = await startServer(t, kind)
    const router = createNamespaceRouter(io, { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
    const announced = nextEvent(router, 'dynamic.group.chat')
    const socket = clientV2(t, `${url}/${NS}`, { query: `ns=${NS}`, transports: ['polling'] })
    const { socket: server } = await announced
    await connected(socket)
    io.of(NS).emit('topic', 'via broadcast')
    t.same(await once(socket, 'topic'), ['via broadcast'])
    server.disconnect()
    await once(socket, 'disconnect')
  })
}

t.test('takeConnecting: the connection of the CONNECT for a name, once, after any aliasing', async (t) => {
  const connections = ['a', 'b'].map((id) => {
    const listeners = new Map<string, (packet: any) => void>()
    return {
      id,
      listeners,
      on: (event: string, fn: (packet: any) => void) => listeners.set(event, fn),
      removeListener: (event: string) => listeners.delete(event),
    }
  })
  const options = await aliasOptions(t, '4')
  const aliases = createAliases({ ...options, matcher: compileRoutes({ x: '/x' }) })
  for (const connection of connections) aliases.watch(connection)
  const [a, b] = connections as [(typeof connections)[0], (typeof connections)[0]]
  const receive = (connection: typeof a, data: string) => connection.listeners.get('packet')?.call(connection, { type: 'message', data })

  t.equal(aliases.takeConnecting('/x'), undefined, 'no CONNECT yet')
  receive(a, '0/x')
  t.equal(aliases.takeConnecting('/x'), a, 'protocol 3, no query')
  t.equal(aliases.takeConnecting('/x'), undefined, 'taken once')
  receive(b, '0/x?ns=1')
  t.equal(aliases.takeConnecting('/x'), b, 'protocol 3 with a query')
  receive(a, '0/x,{"token":1}')
  t.equal(aliases.takeConnecting('/x'), a, 'protocol 5 with a payload')
  receive(a, '0/xy,')
  t.equal(aliases.takeConnecting('/x'), undefined, 'another name that starts the same')
  receive(b, '0/x,')
  receive(a, '2/x,["event"]')
  t.equal(aliases.takeConnecting('/x'), b, 'other packets do not count')
  receive(b, '0//x,')
  t.equal(aliases.takeConnecting('/x'), b, 'a //x CONNECT, read as the /x the server handles')
  receive(a, '0/x,')
  receive(b, '0/z,')
  t.equal(aliases.takeConnecting('/x'), undefined, 'the last CONNECT was for another name')
})
