import createDebug from 'debug'

// What a Redis outage does to the clients a socket.io Redis adapter shares between namespaces, and what
// the router does about it. Knows Redis clients (node-redis v4 above all), not adapters: adapter-cleanup.ts
// finds the clients and subscriptions of an adapter and hands them over.

const debug = createDebug('socket.io-ns-router:redis-faults')

type Listener = (...args: any[]) => void

// The commands @socket.io/redis-adapter 8.x sends without awaiting or catching them (`publish` on every
// broadcast of `createAdapter`, the (un)subscriptions of both adapters' constructors and `close()`), in
// node-redis v4 and ioredis spelling. node-redis v4 rejects every command written and not yet answered
// when the connection drops: each is an unhandled rejection, and Node ends the process.
const UNAWAITED = [
  'publish', 'sPublish', 'spublish',
  'subscribe', 'pSubscribe', 'psubscribe', 'sSubscribe', 'ssubscribe',
  'unsubscribe', 'pUnsubscribe', 'punsubscribe', 'sUnsubscribe', 'sunsubscribe',
] as const

interface Guard {
  holders: number
  restore: () => void
}

const guards = new WeakMap<object, Guard>()

/**
 * Holds a Redis client a socket.io Redis adapter shares between namespaces through Redis outages:
 * - the rejections of the commands the adapter never awaits (`publish`, `subscribe`, `unsubscribe` and
 *   their pattern and sharded forms) are handled, so that a connection lost with commands in flight cannot
 *   end the process with an unhandled rejection. Whoever awaits one of these commands still gets its
 *   rejection: the promise returned is the client's own. The rejection is logged with `debug`;
 * - on a node-redis v4 client, what was unsubscribed while Redis was away is unsubscribed again once it is
 *   back (see `reconcileOnReconnect`).
 * Returns the undo; the client is held until every holder undid it.
 *
 * @example
 * const release = guardClient(subClient)
 * // later
 * release()
 */
export function guardClient(client: object): () => void {
  let guard = guards.get(client)
  if (!guard) {
    const unwrap = wrap(client as Record<string, unknown>)
    const unwatch = isPubSubClient(client) ? reconcileOnReconnect(client) : noop
    guard = { holders: 0, restore: () => { unwrap(); unwatch() } }
    guards.set(client, guard)
  }
  const held = guard
  held.holders++
  let undone = false
  return () => {
    if (undone) return
    undone = true
    if (--held.holders > 0) return
    guards.delete(client)
    held.restore()
  }
}

function wrap(client: Record<string, unknown>): () => void {
  const undo: Array<() => void> = []
  for (const name of UNAWAITED) {
    const original = client[name]
    if (typeof original !== 'function') continue
    const own = Object.prototype.hasOwnProperty.call(client, name)
    const guarded = function (this: unknown, ...args: unknown[]): unknown {
      const result = (original as (...a: unknown[]) => unknown).apply(this, args)
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        ;(result as PromiseLike<unknown>).then(undefined, (error: unknown) => debug('%s failed: %s', name, String(error)))
      }
      return result
    }
    client[name] = guarded
    undo.push(() => {
      // Someone wrapped it after us: theirs stays, and calls ours, which still guards.
      if (client[name] !== guarded) return
      if (own) client[name] = original
      else delete client[name]
    })
  }
  return () => { for (const step of undo) step() }
}

const TYPES = ['CHANNELS', 'PATTERNS', 'SHARDED'] as const

// node-redis v4 (@redis/client 1.x) keeps a channel in its books until Redis confirms its UNSUBSCRIBE. On
// connecting, it sends what was queued while it was down, then subscribes again to everything in its
// books, read before either is answered: a channel unsubscribed during the outage leaves the books when
// its UNSUBSCRIBE is answered, and is subscribed again right behind it, for good (Redis sends it every
// message, node-redis drops them). What the books held when the connection was made and no longer hold
// once it is ready is such a channel, or one unsubscribed since (unsubscribing it again changes nothing).
// After a barrier, the books hold every SUBSCRIBE sent before it; one sent later goes after ours.
function reconcileOnReconnect(client: PubSubClient): () => void {
  let connections = 0
  let booked: Array<[PubSubType, string[]]> = []
  const onConnect = (): void => {
    connections++
    booked = TYPES.map((type) => [type, [...client.getPubSubListeners(type).keys()]])
  }
  const onReady = (): void => {
    const connection = connections
    const before = booked
    booked = []
    if (before.every(([, keys]) => keys.length === 0)) return
    void barrier(client).then((answered) => {
      // Otherwise that connection is gone, and what it subscribed again went with it.
      if (!answered || !client.isReady || connections !== connection) return
      for (const [type, keys] of before) {
        const books = client.getPubSubListeners(type)
        for (const key of keys) {
          if (books.has(key)) continue
          debug('unsubscribing %s again: node-redis subscribed to it again on reconnecting', key)
          void command(client, type).call(client, key).then(undefined, failed)
        }
      }
    })
  }
  client.on('connect', onConnect)
  client.on('ready', onReady)
  return () => {
    client.off('connect', onConnect)
    client.off('ready', onReady)
  }
}

/**
 * Whether a value is a node-redis v4 client (the only kind whose Pub/Sub books the router reads).
 *
 * @example
 * const clients = values.filter(isPubSubClient)
 */
export function isPubSubClient(value: unknown): value is PubSubClient {
  return typeof (value as PubSubClient | undefined)?.getPubSubListeners === 'function'
}

function command(client: PubSubClient, type: PubSubType): PubSubClient['unsubscribe'] {
  return type === 'CHANNELS' ? client.unsubscribe : type === 'PATTERNS' ? client.pUnsubscribe : client.sUnsubscribe
}

function noop(): void {}

/** A node-redis v4 client's pub/sub books and commands (@redis/client 1.x). */
export interface PubSubClient {
  readonly isReady: boolean
  readonly isOpen: boolean
  getPubSubListeners(type: PubSubType): Map<string, { buffers: Set<Listener>; strings: Set<Listener> }>
  unsubscribe(channels?: string | string[], listener?: Listener, buffers?: boolean): Promise<unknown>
  pUnsubscribe(patterns?: string | string[], listener?: Listener, buffers?: boolean): Promise<unknown>
  sUnsubscribe(channels?: string | string[], listener?: Listener, buffers?: boolean): Promise<unknown>
  on(event: string, listener: Listener): unknown
  off(event: string, listener: Listener): unknown
}

export type PubSubType = 'CHANNELS' | 'PATTERNS' | 'SHARDED'

/** One channel (or pattern) a closed adapter held, with the listeners it held it with (`buffers`: as Buffers). */
export interface Held {
  type: PubSubType
  channel: string
  listeners: Array<{ listener: Listener; buffers: boolean }>
}

/**
 * Channels read from the books when needed: every channel of `type` whose name starts with `prefix` and that
 * the books hold with the Buffer listener they hold `anchor` with (an adapter's own channel).
 */
export interface HeldUnder {
  type: PubSubType
  prefix: string
  anchor: string
}

function expand(client: PubSubClient, held: Array<Held | HeldUnder>): Held[] {
  return held.flatMap((entry): Held[] => {
    if (!('prefix' in entry)) return [entry]
    const books = client.getPubSubListeners(entry.type)
    const listener = [...books.get(entry.anchor)?.buffers ?? []][0]
    if (listener === undefined) return []
    return [...books].filter(([channel, sets]) => channel.startsWith(entry.prefix) && sets.buffers.has(listener))
      .map(([channel]) => ({ type: entry.type, channel, listeners: [{ listener, buffers: true }] }))
  })
}

const BARRIER = 'socket.io-ns-router#barrier'

/** Counts a client's reconnections while someone watches them. */
interface Watch {
  users: number
  readies: number
  waiters: Set<() => void>
  onEvent: () => void
  onReady: () => void
}

const watches = new WeakMap<object, Watch>()

function watch(client: PubSubClient): Watch {
  let found = watches.get(client)
  if (!found) {
    const created: Watch = {
      users: 0,
      readies: 0,
      waiters: new Set(),
      onEvent: () => { for (const waiter of [...created.waiters]) waiter() },
      onReady: () => {
        created.readies++
        created.onEvent()
      },
    }
    client.on('ready', created.onReady)
    // A client that will not reconnect (closed, or its reconnect strategy gave up) says so with one of these.
    client.on('end', created.onEvent)
    client.on('error', created.onEvent)
    watches.set(client, created)
    found = created
  }
  found.users++
  return found
}

function unwatch(client: PubSubClient, found: Watch): void {
  if (--found.users > 0) return
  watches.delete(client)
  client.off('ready', found.onReady)
  client.off('end', found.onEvent)
  client.off('error', found.onEvent)
}

// Resolves true once the client is ready, false once it is closed for good.
function whenReady(client: PubSubClient, found: Watch): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!client.isOpen || client.isReady) {
        found.waiters.delete(check)
        resolve(client.isOpen)
      }
    }
    found.waiters.add(check)
    check()
  })
}

// Answered once every command sent before it on this connection is: an UNSUBSCRIBE of a channel nobody uses.
function barrier(client: PubSubClient): Promise<boolean> {
  return client.unsubscribe(BARRIER).then(() => true, failed)
}

// A command lost with its connection: what it was for is done again once the client is back.
function failed(): false {
  return false
}

/**
 * Makes sure what a closed adapter held ends unsubscribed, whatever the connection does meanwhile. Once
 * the `close()` commands are answered with no reconnection in between, there is nothing to do (one round
 * trip). Otherwise some may have been lost in flight: node-redis v4 then keeps the channel, and the closed
 * adapter's listener, in its books, and subscribes to it again on reconnecting. So once the client is ready
 * again, each channel of `held` (those `HeldUnder` read then, not before) is unsubscribed: with the closed adapter's
 * listeners where the books still have them (UNSUBSCRIBE is sent only when no other listener is left), and
 * outright where they have no entry for it. A channel a new adapter holds meanwhile stays. What was
 * unsubscribed while the client was down is `guardClient`'s part.
 *
 * @example
 * adapter.close()
 * void releaseAfterClose(subClient, [{ type: 'PATTERNS', channel: 'socket.io#/chat#*', listeners: [{ listener, buffers: true }] }])
 */
export async function releaseAfterClose(client: PubSubClient, held: Array<Held | HeldUnder>): Promise<void> {
  const found = watch(client)
  try {
    // Answered on the connection the commands were sent on, and not while a new one was being set up
    // (commands queued while down are sent then, before the books are subscribed again).
    const readies = found.readies
    if (client.isReady && (await barrier(client)) && client.isReady && found.readies === readies) return
    debug('the connection to Redis dropped while a closed adapter unsubscribed: done again once it is back')
    while (await whenReady(client, found)) {
      const before = found.readies
      const same = (): boolean => client.isReady && found.readies === before
      // Everything sent before it is answered: the books hold what this connection is subscribed to.
      if ((await barrier(client)) && same()) {
        for (const entry of expand(client, held)) unsubscribe(client, entry)
        if ((await barrier(client)) && same()) return
      }
    }
    debug('the client closed before a closed adapter\'s channels could be unsubscribed again')
  } finally {
    unwatch(client, found)
  }
}

function unsubscribe(client: PubSubClient, { type, channel, listeners }: Held): void {
  const unsubscribing = command(client, type)
  // A failure is seen by the barrier that follows, and the whole is done again.
  const sets = client.getPubSubListeners(type).get(channel)
  if (!sets) {
    void unsubscribing.call(client, channel).then(undefined, failed)
    return
  }
  for (const { listener, buffers } of listeners) {
    if ((buffers ? sets.buffers : sets.strings).has(listener)) void unsubscribing.call(client, channel, listener, buffers).then(undefined, failed)
  }
}
