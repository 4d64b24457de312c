import createDebug from 'debug'

// The one file that knows socket.io adapters' insides: which adapter a namespace has, and every private
// field the router reads or writes on it. An adapter upgrade means checking this list against the new
// version (installed and tested: socket.io-redis 5.4.0 and 6.1.1, @socket.io/redis-adapter 8.3.0,
// @socket.io/redis-streams-adapter 0.3.1, socket.io-adapter 2.5.x, @socket.io/cluster-adapter 0.3.0).
//
//   socket.io-redis 3.0 to 5.x       customHook, requests (a plain object), subClient's bound `onrequest`
//                                    on 'messageBuffer' (answers the responses of `requests`)
//   socket.io-redis 5.x/6.x and      pubClient, subClient, channel, requestChannel, responseChannel; the
//   @socket.io/redis-adapter 7.x     listeners their constructors add to the clients ('pmessageBuffer',
//   and 8.0 (no close() there)       'messageBuffer', 'error')
//   @socket.io/redis-adapter 7.1+    specificResponseChannel
//   @socket.io/redis-adapter 8.0+    parser
//   @socket.io/redis-adapter 8.1+    redisListeners (a Map 'psub', 'sub', 'messageBuffer', …), close()
//   socket.io-redis 5.x/6.x and      onrequest, looked up per message on node-redis v4 (redis-adapter 7.1+),
//   @socket.io/redis-adapter         bound at construction with other clients
//   @socket.io/redis-adapter 8.2+    ShardedRedisAdapter (createShardedAdapter): channel, subClient
//   redis-streams-adapter 0.1+       RedisStreamsAdapter, uid
//   redis-streams-adapter 0.3+       its Pub/Sub channels `<prefix>#<nsp>#` and `<prefix>#<nsp>#<uid>#`
//   socket.io-adapter 2.5+           SessionAwareAdapter (connectionStateRecovery, socket.io 4.6+):
//                                    sessions, packets, maxDisconnectionDuration
// The in-memory adapter and @socket.io/cluster-adapter need no recognition: the router reads nothing
// private on them (the cluster adapter's `process` listeners are counted, not looked up).

const debug = createDebug('socket.io-ns-router:adapter-compat')

type Adapter = Record<string, any>
type Listener = (...args: any[]) => void

/** An event emitter, as every Redis client the adapters take is one. */
export interface ClientEmitter {
  listeners(event: string): Function[]
  on(event: string, listener: Listener): unknown
  removeListener(event: string, listener: Listener): unknown
}

/** A listener an adapter added to one of its Redis clients. */
export interface ClientListener {
  emitter: ClientEmitter
  event: string
  listener: Listener
}

/**
 * socket.io-redis 5.x (socket.io 2.x) or 6.x (socket.io 3.x/4.x), on node_redis 3 or ioredis clients; also
 * @socket.io/redis-adapter 7.x and 8.0, which share their layout and have no `close()`: no `redisListeners`,
 * which 8.1 brought with `close()`.
 *
 * @example
 * if (isSocketIoRedis(namespace.adapter)) unsubscribeSocketIoRedis(namespace.adapter)
 */
export function isSocketIoRedis(adapter: object): boolean {
  const a = adapter as Adapter
  return typeof a.subClient?.punsubscribe === 'function' && typeof a.pubClient?.removeListener === 'function' &&
    typeof a.channel === 'string' && typeof a.requestChannel === 'string' && typeof a.responseChannel === 'string' &&
    !(a.redisListeners instanceof Map)
}

/**
 * socket.io-redis 5.x, the socket.io 2 generation, as against 6.x: its request types and request id differ
 * from those of 6.x and @socket.io/redis-adapter. It has `customHook` (3.0 to 5.x) and keeps its requests
 * in a plain object (a Map from 6.0).
 *
 * @example
 * if (isSocketIoRedis5(namespace.adapter)) bridgeV2(namespace.adapter)
 */
export function isSocketIoRedis5(adapter: object): boolean {
  const a = adapter as Adapter
  return typeof a.customHook === 'function' && a.requests !== null && typeof a.requests === 'object' && !(a.requests instanceof Map) &&
    isSocketIoRedis(adapter)
}

/**
 * @socket.io/redis-adapter `createAdapter`, 8.1 and later: `redisListeners` (8.1), `parser` (8.0),
 * `onrequest` and `requestChannel`. The sharded adapter has no request channel.
 *
 * @example
 * isRedisAdapter(io.of('/chat').adapter) // true with createAdapter(pub, sub)
 */
export function isRedisAdapter(adapter: object): boolean {
  const a = adapter as Adapter
  return a.redisListeners instanceof Map && typeof a.requestChannel === 'string' && typeof a.onrequest === 'function' &&
    typeof a.parser?.decode === 'function'
}

/**
 * @socket.io/redis-adapter `createShardedAdapter` (8.2 and later): the class ShardedRedisAdapter, whose
 * `channel` is the prefix of every channel it subscribes.
 *
 * @example
 * isShardedRedisAdapter(io.of('/chat').adapter) // true with createShardedAdapter(pub, sub)
 */
export function isShardedRedisAdapter(adapter: object): boolean {
  return adapter.constructor?.name === 'ShardedRedisAdapter' && typeof (adapter as Adapter).channel === 'string'
}

/**
 * @socket.io/redis-streams-adapter (0.1 and later): the class RedisStreamsAdapter, with the `uid` its channels
 * carry (0.3 and later).
 *
 * @example
 * if (isStreamsAdapter(adapter)) releaseStreams(namespace, adapter)
 */
export function isStreamsAdapter(adapter: object): boolean {
  return adapter.constructor?.name === 'RedisStreamsAdapter' && typeof (adapter as Adapter).uid === 'string'
}

/**
 * socket.io-adapter 2.5's SessionAwareAdapter (socket.io 4.6 to 4.8 with connectionStateRecovery): it starts
 * a session-expiry interval in its constructor and keeps no handle to it.
 *
 * @example
 * isSessionAware(namespace.adapter)
 */
export function isSessionAware(adapter: object): boolean {
  const a = adapter as Adapter
  return a.sessions instanceof Map && Array.isArray(a.packets) && typeof a.maxDisconnectionDuration === 'number'
}

/**
 * The Redis clients of a Redis adapter (`pubClient` and `subClient`: socket.io-redis and
 * @socket.io/redis-adapter, every version); none for other adapters.
 *
 * @example
 * for (const client of redisClientsOf(io.sockets.adapter)) guardClient(client)
 */
export function redisClientsOf(adapter: object): object[] {
  const a = adapter as Adapter
  return [a.pubClient, a.subClient].filter((client): client is object => typeof client === 'object' && client !== null)
}

/**
 * The subscriber client of a Redis adapter (`subClient`), or whatever the adapter has there.
 *
 * @example
 * const sub = subscriberOf(adapter)
 */
export function subscriberOf(adapter: object): any {
  return (adapter as Adapter).subClient
}

/**
 * The channel a Redis adapter broadcasts on, under which its pattern is (`channel`: socket.io-redis and
 * @socket.io/redis-adapter classic; the prefix of every channel for the sharded one); undefined elsewhere.
 *
 * @example
 * broadcastChannelOf(adapter) // 'socket.io#/chat#'
 */
export function broadcastChannelOf(adapter: object): string | undefined {
  const channel = (adapter as Adapter).channel as unknown
  return typeof channel === 'string' ? channel : undefined
}

/**
 * The request channel of socket.io-redis or @socket.io/redis-adapter classic.
 *
 * @example
 * requestChannelOf(adapter) // 'socket.io-request#/chat#'
 */
export function requestChannelOf(adapter: object): string {
  return (adapter as Adapter).requestChannel as string
}

/**
 * The response channel that every node answers on (socket.io-redis, @socket.io/redis-adapter classic);
 * the sharded adapter's responses come on it too.
 *
 * @example
 * responseChannelOf(adapter) // 'socket.io-response#/chat#'
 */
export function responseChannelOf(adapter: object): string {
  return (adapter as Adapter).responseChannel as string
}

/**
 * The channels and listeners of @socket.io/redis-adapter classic (8.1+) on its subscriber: the pattern
 * of broadcasts with the `psub` listener, and the request, response and own-response channels with the
 * `sub` one.
 *
 * @example
 * const { pattern, patternListener, channels, channelListener } = classicSubscriptions(adapter)
 */
export function classicSubscriptions(adapter: object): { pattern: string; patternListener: Listener; channels: string[]; channelListener: Listener } {
  const a = adapter as Adapter
  const listeners = a.redisListeners as Map<string, Listener>
  return {
    pattern: (a.channel as string) + '*',
    patternListener: listeners.get('psub') as Listener,
    channels: [a.requestChannel, a.responseChannel, a.specificResponseChannel] as string[],
    channelListener: listeners.get('sub') as Listener,
  }
}

/**
 * What the constructors of socket.io-redis 5.x/6.x add, synchronously, to the shared clients and their
 * `close()` (none) leaves: `pmessageBuffer` (onmessage, bound) and `messageBuffer` (onrequest, bound) on the
 * subscriber, and one `onError` on each client. Right after construction each is the last listener of its
 * list; their names make sure (5.x's prototype methods are anonymous: bound, they are named 'bound ').
 *
 * @example
 * const added = socketIoRedisListeners(namespace.adapter)
 */
export function socketIoRedisListeners(adapter: object): ClientListener[] {
  const a = adapter as Adapter
  const sub = a.subClient as ClientEmitter
  const pub = a.pubClient as ClientEmitter
  const expected: Array<[ClientEmitter, string, string[]]> = [
    [sub, 'pmessageBuffer', ['bound onmessage', 'bound ']],
    [sub, 'messageBuffer', ['bound onrequest', 'bound ']],
    [sub, 'error', ['onError']],
    [pub, 'error', ['onError']],
  ]
  const found: ClientListener[] = []
  for (const [emitter, event, names] of expected) {
    const all = emitter.listeners(event)
    const listener = all[all.length - 1]
    if (listener !== undefined && names.includes(listener.name)) found.push({ emitter, event, listener: listener as Listener })
    else debug('no %s listener of the adapter of %s found on its Redis client', event, a.nsp?.name)
  }
  return found
}

/**
 * Unsubscribes what a socket.io-redis 5.x/6.x adapter subscribed for its namespace (it has no `close()`):
 * its pattern and its request and response channels. Every name carries the namespace's name, so no other
 * namespace's subscription is touched.
 *
 * @example
 * unsubscribeSocketIoRedis(namespace.adapter)
 */
export function unsubscribeSocketIoRedis(adapter: object): void {
  const a = adapter as Adapter
  const logError = (error: unknown) => { if (error) debug('unsubscribing %s: %s', a.nsp?.name, String(error)) }
  a.subClient.punsubscribe(a.channel + '*', logError)
  a.subClient.unsubscribe([a.requestChannel, a.responseChannel], logError)
}

/**
 * The `uid` of a redis-streams-adapter adapter, which its own Pub/Sub channel carries.
 *
 * @example
 * streamsUidOf(adapter) // 'a1b2c3'
 */
export function streamsUidOf(adapter: object): string {
  return (adapter as Adapter).uid as string
}

/**
 * The two Pub/Sub channels of a redis-streams-adapter 0.3 adapter (`<prefix>#<nsp>#` and
 * `<prefix>#<nsp>#<uid>#`), when `channel` is the second one of the adapter `uid` of namespace `name`.
 *
 * @example
 * streamsChannels('socket.io#/chat#a1b2c3#', '/chat', 'a1b2c3') // ['socket.io#/chat#', 'socket.io#/chat#a1b2c3#']
 */
export function streamsChannels(channel: string, name: string, uid: string): [string, string] | undefined {
  const suffix = `#${name}#${uid}#`
  return channel.endsWith(suffix) ? [channel.slice(0, -suffix.length) + `#${name}#`, channel] : undefined
}

/**
 * The packet parser of @socket.io/redis-adapter 8.0+ (`parser`), and the way to put another in its place.
 *
 * @example
 * const parser = parserOf(adapter)
 * setParser(adapter, { encode: parser.encode, decode: (message) => fix(parser.decode(message)) })
 */
export function parserOf(adapter: object): { encode(value: unknown): unknown; decode(message: unknown): unknown } {
  return (adapter as Adapter).parser
}

/** See {@link parserOf}. @example setParser(adapter, parser) */
export function setParser(adapter: object, parser: { encode(value: unknown): unknown; decode(message: unknown): unknown }): void {
  ;(adapter as Adapter).parser = parser
}

/**
 * The request handler of @socket.io/redis-adapter (`onrequest(channel, message)`), and the way to put
 * another in its place, on an adapter or on a prototype between an adapter and its class. With node-redis
 * v4 the adapter's listener looks `onrequest` up on every message; with other clients it bound the
 * prototype's at construction, so `lookUpRequestHandler` must make it look it up.
 *
 * @example
 * const onrequest = requestHandlerOf(adapter)
 * setRequestHandler(adapter, function (channel, message) { return onrequest.call(this, channel, message) })
 * lookUpRequestHandler(adapter)
 */
export function requestHandlerOf(adapter: object): Listener {
  return (adapter as Adapter).onrequest as Listener
}

/** See {@link requestHandlerOf}. @example setRequestHandler(adapter, handler) */
export function setRequestHandler(target: object, handler: Listener): void {
  ;(target as Adapter).onrequest = handler
}

/**
 * Makes a @socket.io/redis-adapter's subscriber listener look `onrequest` up on every message, as it does
 * with node-redis v4: with other clients the listener bound at construction (8.1+ books it in
 * `redisListeners`) is swapped for one that does, and booked where the adapter's `close()` finds it.
 *
 * @example
 * lookUpRequestHandler(adapter)
 */
export function lookUpRequestHandler(adapter: object): void {
  const a = adapter as Adapter
  if (typeof a.pubClient?.pSubscribe === 'function') return
  const bound = a.redisListeners.get('messageBuffer') as Listener
  const listener = (channel: unknown, message: Buffer) => a.onrequest(channel, message)
  a.subClient.off('messageBuffer', bound)
  a.subClient.on('messageBuffer', listener)
  a.redisListeners.set('messageBuffer', listener)
}

/**
 * Publishes `message` on the response channel of a Redis adapter; what the client returns (a promise with
 * node-redis v4; nothing, or what node_redis 3 returns, otherwise).
 *
 * @example
 * publishResponse(adapter, JSON.stringify({ requestId, sockets }))
 */
export function publishResponse(adapter: object, message: string): unknown {
  const a = adapter as Adapter
  return a.pubClient.publish(a.responseChannel, message)
}

// A request id no adapter ever makes.
const PROBE = '\u0000socket.io-ns-router-probe'
// socket.io-redis 5.x's `clientRooms` request type.
const CLIENT_ROOMS = 1

/**
 * The request listener a socket.io-redis 5.x adapter added to the shared subscriber ('messageBuffer'):
 * every adapter adds the same kind (its prototype's `onrequest`, bound). This adapter's is the one that,
 * handed a response to a request only this adapter has pending, settles it (a `clientRooms` request with
 * no callback and no timer, so settling it does nothing else; every other adapter ignores the response).
 * Looked for from the last one added: a namespace just built is found at once, `/` further up.
 *
 * @example
 * const original = socketIoRedis5RequestListener(adapter)
 */
export function socketIoRedis5RequestListener(adapter: object): Listener | undefined {
  const a = adapter as Adapter
  const requests = a.requests as Record<string, object>
  const listeners = (a.subClient as ClientEmitter).listeners('messageBuffer') as Listener[]
  const response = Buffer.from(JSON.stringify({ requestid: PROBE }))
  for (let i = listeners.length - 1; i >= 0; i--) {
    const listener = listeners[i] as Listener
    if (!/^bound (onrequest)?$/.test(listener.name)) continue
    requests[PROBE] = { type: CLIENT_ROOMS }
    listener(Buffer.from(a.responseChannel), response)
    const found = !Object.prototype.hasOwnProperty.call(requests, PROBE)
    delete requests[PROBE]
    if (found) return listener
  }
  return undefined
}
