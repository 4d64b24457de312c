import createDebug from 'debug'
import type { Namespace } from 'socket.io'
import {
  broadcastChannelOf,
  classicSubscriptions,
  isRedisAdapter,
  isSessionAware,
  isShardedRedisAdapter,
  isSocketIoRedis,
  isStreamsAdapter,
  redisClientsOf,
  responseChannelOf,
  socketIoRedisListeners,
  streamsChannels,
  streamsUidOf,
  subscriberOf,
  unsubscribeSocketIoRedis,
  type ClientListener,
} from './adapter-compat.js'
import { unbridge } from './mixed-cluster.js'
import { guardClient, isPubSubClient, releaseAfterClose, type Held, type HeldUnder, type PubSubClient } from './redis-faults.js'

// Adapter hygiene; what it reads on adapters, adapter-compat.ts knows. Each adapter holds things outside its namespace
// (Redis subscriptions, listeners on shared clients and on `process`, timers); `close()` undoes some of
// them, in some versions. What it leaves, the router undoes here, so that a removed namespace leaves
// nothing behind and becomes unreachable.

const debug = createDebug('socket.io-ns-router:adapter-cleanup')

type Timer = ReturnType<typeof setInterval>

/** What building one namespace set up outside it, undone by `closeAdapter`. */
interface Footprint {
  timers: Timer[]
  listeners: ClientListener[]
}

const footprints = new WeakMap<object, Footprint>()

/**
 * Runs `create` (which builds a namespace) and returns what it made, with a function that removes the
 * `process` 'message' listeners it added: @socket.io/cluster-adapter 0.3 adds one per namespace and its
 * `close()` leaves it behind. It also notes, for `closeAdapter`, what the new namespace's adapter set up
 * that its `close()` does not undo: the session-expiry interval of socket.io-adapter's session-aware
 * adapter (connectionStateRecovery) and the listeners socket.io-redis 5.x/6.x add to the shared Redis
 * clients; the interval only when `sessions` (the server has connection state recovery on), since watching
 * for it costs every creation. The router calls `release` after closing a removed namespace's adapter.
 *
 * @example
 * const { value: namespace, release } = withProcessListeners(() => parent.createChild(name))
 */
export function withProcessListeners<T>(create: () => T, sessions = true): { value: T; release: () => void } {
  const before = process.listenerCount('message')
  const value = recordFootprint(create, sessions)
  const added = process.listenerCount('message') - before
  if (added <= 0) return { value, release: noop }
  const listeners = process.listeners('message').slice(-added)
  return {
    value,
    release: () => {
      for (const listener of listeners) process.removeListener('message', listener)
    },
  }
}

/**
 * Holds the Redis clients of a namespace's adapter (`pubClient` and `subClient` of
 * @socket.io/redis-adapter and socket.io-redis) through Redis outages (see `guardClient`): with node-redis
 * v4, a broadcast in flight when Redis goes away would end the process with an unhandled rejection, and
 * what was unsubscribed during the outage would be subscribed again when it is back. Every adapter built
 * by the same factory shares these clients, so `guarded` (client → undo) keeps one hold per client for
 * its holder.
 *
 * @example
 * const guarded = new Map<object, () => void>()
 * guardAdapterClients(io.sockets, guarded)
 * for (const undo of guarded.values()) undo()
 */
export function guardAdapterClients(namespace: Namespace, guarded: Map<object, () => void>): void {
  for (const client of redisClientsOf(namespace.adapter)) {
    if (guarded.has(client)) continue
    guarded.set(client, guardClient(client))
  }
}

/** The subscriptions of a namespace's adapter on a node-redis v4 client. */
export interface Subscriptions {
  client: PubSubClient
  held: Array<Held | HeldUnder>
}

/**
 * Where a namespace's @socket.io/redis-adapter 8.x adapter (`createAdapter` or `createShardedAdapter`) on
 * node-redis v4 clients subscribes, and with which listeners; undefined for other adapters:
 * - `createAdapter`: the pattern for broadcasts and the three request/response channels, with the
 *   adapter's two listeners;
 * - `createShardedAdapter`: every channel under the namespace's prefix that the books hold with the
 *   adapter's handler (the one on its own response channel), rooms' channels of `'dynamic'` mode included,
 *   read from the books only when needed.
 *
 * @example
 * const subscriptions = subscriptionsOf(namespace)
 */
export function subscriptionsOf(namespace: Namespace): Subscriptions | undefined {
  const adapter = namespace.adapter
  const client = subscriberOf(adapter) as PubSubClient | undefined
  const prefix = broadcastChannelOf(adapter)
  if (typeof client?.getPubSubListeners !== 'function' || prefix === undefined) return undefined
  // On node-redis v4 with a `channel`: the classic adapter, or else the sharded one.
  if (!isRedisAdapter(adapter)) return { client, held: [{ type: 'SHARDED', prefix, anchor: responseChannelOf(adapter) }] }
  const { pattern, patternListener, channels, channelListener } = classicSubscriptions(adapter)
  return {
    client,
    held: [
      { type: 'PATTERNS', channel: pattern, listeners: [{ listener: patternListener, buffers: true }] },
      ...channels.map((channel): Held => ({ type: 'CHANNELS', channel, listeners: [{ listener: channelListener, buffers: true }] })),
    ],
  }
}

/**
 * Undoes what a removed namespace's adapter holds: its own `close()` where it has one (socket.io 4
 * adapters), then what `close()` leaves or what adapters without one hold:
 * - socket.io-redis 5.x/6.x: the namespace's pattern and request/response subscriptions and its listeners
 *   on the shared clients;
 * - the session-aware adapter (connectionStateRecovery): its session-expiry interval;
 * - @socket.io/redis-streams-adapter 0.3: its two channels on the shared subscriber;
 * - @socket.io/redis-adapter 8.x on node-redis v4: what its `close()` unsubscribed, again, if the connection
 *   to Redis dropped before Redis answered (see `subscriptionsOf` and `releaseAfterClose`).
 * Subscriptions are undone before the first `await`, so a namespace of the same name created right after
 * keeps its own. It does not wait for Redis: an outage does not hold a removal up.
 *
 * @example
 * await closeAdapter(namespace)
 */
export async function closeAdapter(namespace: Namespace): Promise<void> {
  const held = subscriptionsOf(namespace)
  const adapter = namespace.adapter as unknown as Record<string, any>
  const footprint = footprints.get(namespace)
  footprints.delete(namespace)
  for (const timer of footprint?.timers ?? []) clearInterval(timer)
  for (const { emitter, event, listener } of footprint?.listeners ?? []) emitter.removeListener(event, listener)
  if (isSocketIoRedis(adapter)) unsubscribeSocketIoRedis(adapter)
  const closing = (adapter as { close?: () => unknown }).close?.()
  if (held) void releaseAfterClose(held.client, held.held)
  if (isStreamsAdapter(adapter)) releaseStreams(namespace, adapter)
  await closing
  // The router's own listener of a socket.io 2 node bridged to socket.io 4 ones, once the adapter is closed.
  unbridge(namespace)
}

function recordFootprint<T>(create: () => T, sessions: boolean): T {
  const { value, started } = sessions ? watchIntervals(create) : { value: create(), started: [] }
  const adapter = (value as { adapter?: Record<string, any> } | undefined)?.adapter
  if (adapter === undefined) return value
  // The adapter is the first thing a namespace builds: its interval is the first one started.
  const timers = isSessionAware(adapter) && started[0] !== undefined ? [started[0]] : []
  const listeners = isSocketIoRedis(adapter) ? socketIoRedisListeners(adapter) : []
  // Most adapters leave nothing: no record then, as every live namespace would carry one.
  if (timers.length > 0 || listeners.length > 0) footprints.set(value as object, { timers, listeners })
  const confirming = confirmation(adapter)
  if (confirming) {
    const bounded = new Promise<void>((resolve) => {
      // A client that never reaches Redis (closed, or Redis down) never answers: node-redis v4 keeps the
      // command forever. Past the bound, joins go on without the guarantee rather than hang.
      const timer = setTimeout(() => {
        debug('subscriptions of %s not confirmed within %d ms', adapter.nsp?.name, CONFIRM_TIMEOUT_MS)
        resolve()
      }, CONFIRM_TIMEOUT_MS)
      // Never what keeps a process alive.
      timer.unref()
      void confirming.then(() => {
        clearTimeout(timer)
        resolve()
      })
    })
    subscribing.set(value as object, bounded)
    void bounded.then(() => subscribing.delete(value as object))
  }
  return value
}

const subscribing = new WeakMap<object, Promise<void>>()

/**
 * How long a join waits at most for its namespace's subscriptions, in ms.
 *
 * @example
 * setTimeout(letThrough, CONFIRM_TIMEOUT_MS)
 */
export const CONFIRM_TIMEOUT_MS = 2000

/**
 * Resolves once Redis has confirmed the subscriptions a new namespace's adapter made, or `undefined` when
 * there is nothing to wait for (confirmed already, or an adapter that does not subscribe per namespace:
 * in-memory, cluster, the streams adapter's broadcasts). Until then, a broadcast another node publishes
 * for the namespace is not delivered to this node: a client let in before it would miss it. Never rejects,
 * and resolves after {@link CONFIRM_TIMEOUT_MS} at most (a subscriber client that cannot reach Redis).
 *
 * @example
 * const pending = subscriptionsConfirmed(socket.nsp)
 * if (pending) await pending
 */
export function subscriptionsConfirmed(namespace: Namespace): Promise<void> | undefined {
  return subscribing.get(namespace)
}

// Redis answers a connection's commands in order, and subscribing a channel or pattern again is a no-op
// for Redis: the answer to a second SUBSCRIBE of the adapter's own broadcast channel or pattern, sent
// right after its constructor's, comes once every subscription it made is in place. Sent on the same
// channel (not on a channel of ours) so that a Redis Cluster routes it to the same node.
// - @socket.io/redis-adapter 8.x classic: the pattern `<channel>*` (its request/response channels were
//   sent before it); sharded: its `channel` (SSUBSCRIBE);
// - socket.io-redis 5.x/6.x: the pattern `<channel>*`.
function confirmation(adapter: Record<string, any>): Promise<void> | undefined {
  const broadcast = broadcastChannelOf(adapter)
  const sub = subscriberOf(adapter) as Record<string, any> | undefined
  if (broadcast === undefined || typeof sub !== 'object' || sub === null) return undefined
  const sharded = isShardedRedisAdapter(adapter)
  if (!sharded && !isRedisAdapter(adapter) && !isSocketIoRedis(adapter)) return undefined
  const channel = sharded ? broadcast : broadcast + '*'
  const failed = (error: unknown): void => { debug('confirming the subscriptions of %s: %s', adapter.nsp?.name, String(error)) }
  // node-redis v4 books a listener only on Redis's answer; a second listener of ours makes it send the
  // command again, and taking ours off once answered sends nothing while the adapter's is there.
  if (typeof sub.sSubscribe === 'function') {
    const [on, off] = sharded ? [sub.sSubscribe, sub.sUnsubscribe] : [sub.pSubscribe, sub.pUnsubscribe]
    const mine = (): void => {}
    return Promise.resolve()
      .then(() => on.call(sub, channel, mine, true))
      .then(() => off.call(sub, channel, mine, true))
      .then(noop, failed)
  }
  // ioredis and node_redis 3 both take a callback, called on Redis's answer.
  const command = sharded ? 'ssubscribe' : 'psubscribe'
  if (typeof sub[command] !== 'function') return undefined
  return new Promise((resolve) => {
    sub[command](channel, (error: unknown) => {
      if (error) failed(error)
      resolve()
    })
  })
}

// socket.io-adapter 2.5.x's SessionAwareAdapter (socket.io 4.6+ with connectionStateRecovery) starts its
// expiry interval in its constructor and keeps no handle to it: the only way to stop it is to see it
// started. setInterval is looked up on the global object at call time (`global`: Node 10 has no
// `globalThis`). Only done where sessions are on: it is on the path of every creation.
function watchIntervals<T>(create: () => T): { value: T; started: Timer[] } {
  const started: Timer[] = []
  const { setInterval: original } = global
  global.setInterval = function (this: unknown, ...args: unknown[]) {
    const timer = (original as (...a: unknown[]) => Timer).apply(this, args)
    started.push(timer)
    return timer
  } as typeof setInterval
  try {
    return { value: create(), started }
  } finally {
    global.setInterval = original
  }
}

const streamsSubscribers = new WeakMap<object, Promise<PubSubClient[]>>()
const PROBE = '/\u0000socket.io-ns-router-probe'
const BARRIER = 'socket.io-ns-router#barrier'

// The streams adapter subscribes `<prefix>#<nsp>#` and `<prefix>#<nsp>#<uid>#` on a subscriber client
// that its factory duplicates and keeps in a closure, and its `close()` never unsubscribes them; the
// listener keeps the adapter and the whole namespace alive.
function releaseStreams(namespace: Namespace, adapter: Record<string, any>): void {
  const server = namespace.server as unknown as { adapter(): (nsp: object) => Record<string, any> }
  const uid = streamsUidOf(adapter)
  // In a promise, so that nothing the throw-away adapter does can make the removal throw.
  void Promise.resolve().then(() => subscribersOf(server.adapter(), server)).then(async (clients) => {
    for (const client of clients) await unsubscribeStreams(client, namespace.name, uid)
  }).catch((error: unknown) => debug('releasing %s: %s', namespace.name, String(error)))
}

// The only way to that subscriber client: build one throw-away adapter with the factory and see which
// promise its constructor waits on (`subClientPromise.then(...)`). Once per factory, so Promise.prototype.then
// is swapped for one synchronous call per factory, never on the path of a connection. Only node-redis v4
// clients are released: with ioredis the adapter's listener cannot be told from the others.
function subscribersOf(factory: (nsp: object) => Record<string, any>, server: object): Promise<PubSubClient[]> {
  const known = streamsSubscribers.get(factory)
  if (known) return known
  const awaited: Array<PromiseLike<unknown>> = []
  const { then } = Promise.prototype
  Promise.prototype.then = function (this: Promise<unknown>, ...args: any[]) {
    awaited.push(this)
    return (then as (...a: unknown[]) => Promise<unknown>).apply(this, args)
  } as typeof then
  let probe: Record<string, any>
  try {
    probe = factory({ name: PROBE, server })
  } finally {
    Promise.prototype.then = then
  }
  probe.close?.()
  const subscribers = Promise.all(awaited.map((promise) => promise.then((value) => value, noop))).then((values) => {
    const clients = values.filter(isPubSubClient)
    for (const client of clients) void unsubscribeStreams(client, PROBE, streamsUidOf(probe)).catch((error: unknown) => debug('releasing the probe: %s', String(error)))
    return clients
  })
  streamsSubscribers.set(factory, subscribers)
  return subscribers
}

// node-redis v4 books a channel's listener only when Redis confirms the SUBSCRIBE, so an UNSUBSCRIBE of
// a channel nobody uses goes first: its answer comes after the adapter's SUBSCRIBE was confirmed.
// Unsubscribing with the adapter's own listener sends UNSUBSCRIBE only once no other listener is left on
// the channel.
async function unsubscribeStreams(client: PubSubClient, name: string, uid: string): Promise<void> {
  await client.unsubscribe([BARRIER])
  for (const type of ['CHANNELS', 'SHARDED'] as const) {
    for (const [channel, sets] of client.getPubSubListeners(type)) {
      const channels = streamsChannels(channel, name, uid)
      if (channels === undefined) continue
      for (const listener of sets.buffers) {
        await (type === 'CHANNELS' ? client.unsubscribe(channels, listener, true) : client.sUnsubscribe(channels, listener, true))
      }
    }
  }
}

function noop(): void {}
