import createDebug from 'debug'
import type { Namespace } from 'socket.io'
import {
  isRedisAdapter,
  isSocketIoRedis5,
  lookUpRequestHandler,
  parserOf,
  publishResponse,
  requestChannelOf,
  requestHandlerOf,
  responseChannelOf,
  setParser,
  setRequestHandler,
  socketIoRedis5RequestListener,
  subscriberOf,
  type ClientEmitter,
} from './adapter-compat.js'
import { codes, NamespaceRouterError } from './errors.js'

// A cluster in the middle of a rolling upgrade: socket.io 2 nodes with socket.io-redis 5.x and socket.io 4
// nodes with @socket.io/redis-adapter on one Redis. Both adapters use the same channels and msgpack for
// broadcasts, so text broadcasts and rooms cross as they are. Two things do not:
// - the packet type: a 2.x node publishes a binary event as BINARY_EVENT with no attachment count, which
//   socket.io-parser 4 writes out as text (`5undefined-…`) that 4.x clients reject ("Illegal
//   attachments", then "parse error"); a 4.x node publishes it as EVENT, which socket.io-parser 3 writes
//   out as JSON, so 2.x clients get `{ type: 'Buffer', data: [...] }`;
// - the request protocol: the two number their request types differently (socket.io-redis 5.x:
//   clients 0 … customRequest 5, remoteDisconnect 6; redis-adapter: SOCKETS 0 … REMOTE_FETCH 5,
//   SERVER_SIDE_EMIT 6) and name the request id differently (`requestid`, `requestId`), so each misreads
//   the other's requests and ignores its answers: every cluster-wide query waits for its timeout.
// The router on each node sets the packet type of the other generation's broadcasts as its own parser
// expects, takes the other generation's requests away from its adapter and answers them in their own
// protocol, and answers the two requests that cannot cross (socket.io 4's serverSideEmit with an
// acknowledgement, socket.io-redis 5.x's customRequest) with a refusal that the requester's router turns
// into ERR_MIXED_CLUSTER, at once. What it reads and swaps on the adapters, adapter-compat.ts knows.

const debug = createDebug('socket.io-ns-router:mixed-cluster')

type Adapter = Record<string, any>
type Listener = (...args: any[]) => void

// Packet types. Broadcasts are always events: acknowledgements never cross nodes.
const EVENT = 2
const BINARY_EVENT = 5

// socket.io-redis 5.x request types.
const V2 = { clients: 0, clientRooms: 1, allRooms: 2, remoteJoin: 3, remoteLeave: 4, customRequest: 5, remoteDisconnect: 6 }
// @socket.io/redis-adapter 8.x (and socket.io-redis 6.x) request types.
const V4 = { SOCKETS: 0, ALL_ROOMS: 1, REMOTE_JOIN: 2, REMOTE_LEAVE: 3, REMOTE_DISCONNECT: 4, REMOTE_FETCH: 5, SERVER_SIDE_EMIT: 6, BROADCAST: 7, BROADCAST_CLIENT_COUNT: 8 }

/** What a router answers to a request its node cannot serve: the requester's router makes it an error. */
const REFUSAL_KEY = 'socket.io-ns-router'
const refusal = { [REFUSAL_KEY]: codes.MIXED_CLUSTER }
const isRefusal = (value: unknown): boolean => (value as Record<string, unknown> | null)?.[REFUSAL_KEY] === codes.MIXED_CLUSTER

const { hasOwnProperty } = Object.prototype
const noop = (): void => {}

// socket.io 2 adapters bridged, and what each leaves behind once closed.
const bridged = new WeakSet<object>()
const undoes = new WeakMap<object, () => void>()

/**
 * Makes a namespace's Redis adapter work with the nodes of the other socket.io generation in one cluster
 * (a rolling upgrade from socket.io 2 to 4): binary broadcasts keep their binary, cluster-wide queries are
 * answered across generations, and those that cannot be fail at once with `ERR_MIXED_CLUSTER`. Does
 * nothing for other adapters, or for an adapter bridged already. What outlives the adapter (on a
 * socket.io 2 node, the router's own request listener on the shared subscriber) goes with `unbridge`.
 *
 * @example
 * bridgeGenerations(namespace)
 * // ... when the namespace is removed, after its adapter is closed:
 * unbridge(namespace)
 */
export function bridgeGenerations(namespace: Namespace): void {
  const adapter = namespace.adapter as unknown as Adapter
  // Recognised before anything is kept: most namespaces have an adapter that needs no bridge.
  if (isRedisAdapter(adapter)) {
    if (!bridgePrototypes.has(Object.getPrototypeOf(adapter) as object)) bridgeV4(adapter)
    return
  }
  if (!isSocketIoRedis5(adapter) || bridged.has(adapter)) return
  bridged.add(adapter)
  undoes.set(adapter, bridgeV2(adapter))
}

/**
 * Undoes what bridging left outside a namespace's closed adapter; nothing for an adapter never bridged.
 *
 * @example
 * unbridge(namespace)
 */
export function unbridge(namespace: Namespace): void {
  const adapter = namespace.adapter as unknown as Adapter
  const undo = undoes.get(adapter)
  if (!undo) return
  undoes.delete(adapter)
  undo()
}

// ---- on a socket.io 4 node ----

// The wrappers live on one prototype per adapter class, put between each adapter and its class's
// prototype, and the parser's on one object per parser: own wrappers per adapter cost every live namespace
// about 400 B (bench/README.md, "Memory per live namespace"). `this` is the adapter in each.
const bridges = new WeakMap<object, object>()
const bridgePrototypes = new WeakSet<object>()
const parsers = new WeakMap<object, object>()

function bridgeV4(adapter: Adapter): void {
  // Broadcasts from 2.x nodes: their binary events arrive typed BINARY_EVENT with no attachment count.
  setParser(adapter, parserFor(parserOf(adapter)))
  Object.setPrototypeOf(adapter, bridgeFor(Object.getPrototypeOf(adapter) as Adapter))
  lookUpRequestHandler(adapter)
}

interface Parser {
  encode(value: unknown): unknown
  decode(message: unknown): unknown
}

function parserFor(parser: Parser): Parser {
  let bridged = parsers.get(parser) as Parser | undefined
  if (bridged === undefined) {
    bridged = { encode: (value: unknown) => parser.encode(value), decode: (message: unknown) => fromV2(parser.decode(message)) }
    parsers.set(parser, bridged)
  }
  return bridged
}

function bridgeFor(base: Adapter): object {
  const known = bridges.get(base)
  if (known) return known
  const bridge = Object.create(base) as Adapter
  const onrequest = requestHandlerOf(base)
  setRequestHandler(bridge, function (this: Adapter, channel: unknown, message: Buffer) {
    const request = String(channel) === requestChannelOf(this) ? parseJson(message) : undefined
    // socket.io-redis 5.x requests carry `requestid`; the adapter would misread their types.
    if (request !== undefined && hasOwnProperty.call(request, 'requestid') && !hasOwnProperty.call(request, 'requestId')) return answerV2(this, request)
    return onrequest.call(this, channel, message)
  })
  // socket.io 2 has no server-side events: the 2.x nodes answer with a refusal, made an error here.
  const serverSideEmit = base.serverSideEmit as (packet: unknown[]) => unknown
  bridge.serverSideEmit = function (this: Adapter, packet: unknown[]) {
    const ack = packet[packet.length - 1]
    if (typeof ack === 'function') {
      packet[packet.length - 1] = (error: unknown, responses: unknown[]) => {
        if (!responses.some(isRefusal)) return ack(error, responses)
        ack(mixedClusterError('serverSideEmit with an acknowledgement cannot reach the socket.io 2 nodes of the cluster'), responses.filter((r) => !isRefusal(r)))
      }
    }
    return serverSideEmit.call(this, packet)
  }
  bridges.set(base, bridge)
  bridgePrototypes.add(bridge)
  return bridge
}

function fromV2(decoded: unknown): unknown {
  const packet = Array.isArray(decoded) ? (decoded[1] as Adapter | undefined) : undefined
  if (packet?.type === BINARY_EVENT) {
    // socket.io-parser 4 finds the binary parts of an EVENT itself.
    packet.type = EVENT
    delete packet.attachments
  }
  return decoded
}

// A socket.io-redis 5.x request, answered from this node's sockets as a socket.io 2 node would.
function answerV2(adapter: Adapter, request: Adapter): void {
  const reply = (body: object) => publish(adapter, JSON.stringify({ requestid: request.requestid, ...body }))
  const rooms = adapter.rooms as Map<string, Set<string>>
  const sids = adapter.sids as Map<string, Set<string>>
  const socket = typeof request.sid === 'string' ? (adapter.nsp.sockets as Map<string, Adapter>).get(request.sid) : undefined
  debug('answering a socket.io 2 request of type %d on %s', request.type, adapter.nsp.name)
  switch (request.type) {
    case V2.clients: {
      const wanted = (request.rooms ?? []) as string[]
      const ids = new Set<string>()
      for (const room of wanted) for (const id of rooms.get(room) ?? []) ids.add(id)
      return reply({ clients: wanted.length > 0 ? [...ids] : [...sids.keys()] })
    }
    case V2.clientRooms: {
      const joined = sids.get(request.sid)
      return joined ? reply({ rooms: [...joined] }) : undefined
    }
    case V2.allRooms:
      return reply({ rooms: [...rooms.keys()] })
    case V2.customRequest:
      return reply({ data: refusal })
  }
  // remoteJoin, remoteLeave, remoteDisconnect: only the node that has the socket answers.
  if (!socket) return
  if (request.type === V2.remoteJoin) socket.join(request.room)
  else if (request.type === V2.remoteLeave) socket.leave(request.room)
  else if (request.type === V2.remoteDisconnect) socket.disconnect(request.close === true)
  else return debug('ignoring a socket.io 2 request of unknown type %s', request.type)
  reply({})
}

// ---- on a socket.io 2 node ----

function bridgeV2(adapter: Adapter): () => void {
  // Broadcasts from 4.x nodes: binary events arrive typed EVENT, which socket.io-parser 3 writes as JSON.
  const broadcast = adapter.broadcast as (packet: Adapter, opts: unknown, remote?: boolean) => unknown
  adapter.broadcast = function (this: unknown, packet: Adapter, opts: unknown, remote?: boolean) {
    if (remote === true && packet.type === EVENT && hasBinary(packet.data)) packet.type = BINARY_EVENT
    return broadcast.call(this, packet, opts, remote)
  }

  const customRequest = adapter.customRequest as (data: unknown, fn?: Listener) => unknown
  adapter.customRequest = function (this: unknown, data: unknown, fn?: Listener) {
    if (typeof data === 'function') return adapter.customRequest(null, data as Listener)
    const done = fn && ((error: unknown, replies: unknown[] = []) => {
      if (!replies.some(isRefusal)) return fn(error, replies)
      fn(mixedClusterError('customRequest cannot reach the socket.io 4 nodes of the cluster'), replies.filter((r) => !isRefusal(r)))
    })
    return customRequest.call(this, data, done)
  }

  // socket.io-redis 5.x bound its request listener at construction: the router swaps it for one that
  // takes the socket.io 4 requests and responses away from it (it misreads the requests, and throws on
  // the msgpack ones).
  const sub = subscriberOf(adapter) as ClientEmitter
  const original = socketIoRedis5RequestListener(adapter)
  if (original === undefined) {
    debug('no request listener of the adapter of %s found: socket.io 4 requests are not answered', adapter.nsp.name)
    return noop
  }
  const requestChannel = requestChannelOf(adapter)
  const responseChannel = responseChannelOf(adapter)
  const listener = (channel: unknown, message: Buffer): unknown => {
    const name = String(channel)
    if (name === responseChannel && message[0] !== 0x7b) return undefined
    if (name === requestChannel) {
      if (message[0] !== 0x7b) return answerBinaryV4(adapter, message)
      const request = parseJson(message)
      // socket.io-redis 5.x emits an 'error' on its adapter for a request it cannot parse: nobody listens.
      if (request === undefined) return debug('ignoring a malformed request on %s', adapter.nsp.name)
      // redis-adapter requests carry `uid` (all but responses) or `requestId`; socket.io-redis 5.x's neither.
      if (hasOwnProperty.call(request, 'uid') || hasOwnProperty.call(request, 'requestId')) return answerV4(adapter, request)
    }
    return original(channel, message)
  }
  sub.removeListener('messageBuffer', original)
  sub.on('messageBuffer', listener)
  return () => { sub.removeListener('messageBuffer', listener) }
}

// notepack.io 2.2 decodes every binary value of a 4.x packet as a Buffer (4.x encodes ArrayBuffers and
// typed arrays as msgpack bin too), so Buffers are the only binary to look for.
function hasBinary(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (Buffer.isBuffer(value)) return true
  for (const key of Object.keys(value)) if (hasBinary((value as Adapter)[key])) return true
  return false
}

// A redis-adapter request, answered from this node's sockets as a socket.io 4 node would. Joins, leaves
// and disconnects come with `opts` (redis-adapter 8 sends no other form); nobody waits for an answer.
function answerV4(adapter: Adapter, request: Adapter): void {
  const reply = (body: object) => publish(adapter, JSON.stringify({ requestId: request.requestId, ...body }))
  debug('answering a socket.io 4 request of type %d on %s', request.type, adapter.nsp.name)
  const opts = (request.opts ?? {}) as { rooms?: string[]; except?: string[] }
  const rooms = (request.rooms ?? []) as string[]
  switch (request.type) {
    case V4.SOCKETS:
      return reply({ sockets: matching(adapter, { rooms }).map((socket) => socket.id) })
    case V4.ALL_ROOMS:
      return reply({ rooms: Object.keys(adapter.rooms) })
    case V4.REMOTE_JOIN:
      for (const socket of matching(adapter, opts)) socket.join(rooms)
      return
    case V4.REMOTE_LEAVE:
      for (const socket of matching(adapter, opts)) for (const room of rooms) socket.leave(room)
      return
    case V4.REMOTE_DISCONNECT:
      for (const socket of matching(adapter, opts)) socket.disconnect(request.close === true)
      return
    case V4.REMOTE_FETCH:
      return reply({ sockets: matching(adapter, opts).map((socket) => ({ id: socket.id, handshake: socket.handshake, rooms: Object.keys(socket.rooms), data: {} })) })
    case V4.SERVER_SIDE_EMIT:
      // Without an acknowledgement nobody waits: socket.io 2 has no server-side events to deliver it to.
      return request.requestId === undefined ? undefined : reply({ type: V4.SERVER_SIDE_EMIT, data: refusal })
    default:
      debug('ignoring a socket.io 4 request of unknown type %s', request.type)
  }
}

// An emit with acknowledgements (socket.io 4.5+) is the one request redis-adapter sends in msgpack: the
// sender waits for every node's count of clients. socket.io 2 sockets take no broadcast acknowledgements,
// so this node counts none, at once. Read without a msgpack decoder: the request is a map that starts
// with `uid` and `requestId`, two 6-character strings, and `type` (redis-adapter's key order).
const ACK_REQUEST = /^\x85\xa3uid\xa6[\s\S]{6}\xa9requestId\xa6([\s\S]{6})\xa4type\x07/

function answerBinaryV4(adapter: Adapter, message: Buffer): void {
  const found = ACK_REQUEST.exec(message.toString('latin1'))
  if (!found) return debug('ignoring a binary request on %s', adapter.nsp.name)
  publish(adapter, JSON.stringify({ type: V4.BROADCAST_CLIENT_COUNT, requestId: found[1], clientCount: 0 }))
}

// socket.io 4's rules for `opts` (rooms, except), on socket.io-adapter 1.x's books.
function matching(adapter: Adapter, opts: { rooms?: string[]; except?: string[] }): Adapter[] {
  const rooms = adapter.rooms as Record<string, { sockets: Record<string, boolean> }>
  const members = (room: string): string[] => (hasOwnProperty.call(rooms, room) ? Object.keys(rooms[room]!.sockets) : [])
  const wanted = opts.rooms ?? []
  const except = new Set<string>()
  for (const room of opts.except ?? []) for (const id of members(room)) except.add(id)
  const ids = new Set<string>(wanted.length > 0 ? [] : Object.keys(adapter.sids))
  for (const room of wanted) for (const id of members(room)) ids.add(id)
  const connected = adapter.nsp.connected as Record<string, Adapter>
  return [...ids].filter((id) => !except.has(id) && hasOwnProperty.call(connected, id)).map((id) => connected[id]!)
}

// ---- both ----

function parseJson(message: Buffer): Adapter | undefined {
  if (message[0] !== 0x7b) return undefined
  try {
    return JSON.parse(message.toString()) as Adapter
  } catch {
    return undefined
  }
}

function publish(adapter: Adapter, message: string): void {
  const published = publishResponse(adapter, message)
  // node-redis v4 returns a promise; node_redis 3 takes a callback, or nothing.
  if (published instanceof Promise) published.catch((error: unknown) => debug('answering on %s: %s', adapter.nsp.name, String(error)))
}

function mixedClusterError(message: string): NamespaceRouterError {
  return new NamespaceRouterError(codes.MIXED_CLUSTER, `${message} (a rolling upgrade is under way: see README, "Rolling upgrade")`)
}
