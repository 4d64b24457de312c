import createDebug from 'debug'
import type { Emitter } from 'mitt'
import type { Namespace, Socket } from 'socket.io'
import { fromEntries } from './from-entries.js'
import { createDeadlines, type Clock } from './clock.js'
import type { CompiledRoute, RouteMatch } from './matcher.js'
import type { Refusals } from './refusals.js'
import { removeNamespace, retire } from './removal.js'
import { reporter, safeEmit } from './safe-emit.js'
import type { EngineConnection, ServerAccess } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:lifecycle')

// The disconnect reasons after which socket.io 4.6+ keeps a session for connection state recovery
// (socket.io's `RECOVERABLE_DISCONNECT_REASONS`, unchanged from 4.6 to 4.8).
const NO_CAPTURES: readonly string[] = Object.freeze([])

const RECOVERABLE = new Set(['transport error', 'transport close', 'forced close', 'ping timeout', 'server shutting down', 'forced server close'])

// The record of a live namespace, and its route match too (`matchOf` hands it out as one): a match object
// of its own would be one more object per live namespace. A path route's captures are its params in
// pattern order, built when asked for (once per joining socket) rather than kept by every live namespace;
// a RegExp route's are kept (bench/README.md, "Memory per live namespace").
class Entry implements RouteMatch {
  /**
   * How many sockets are between the router's middleware and their `connection` event (the lifecycle's
   * `joining` map says which): a Map per namespace, or one made per joining socket, cost more than the rest
   * of the entry, or a measurable share of a join (bench/README.md).
   */
  joining = 0
  /** The connection whose CONNECT created the namespace, until its socket enters it (only one ever does). */
  reserved: EngineConnection | undefined = undefined
  /** Until when (epoch ms) a session of a socket that left can still be recovered (connectionStateRecovery). */
  recoverableUntil = 0
  /** Its place among the removal deadlines (clock.ts), -1 when it has none. */
  slot = -1

  constructor(
    readonly namespace: Namespace,
    readonly route: CompiledRoute,
    readonly params: RouteMatch['params'],
    /** A RegExp route's captures. */
    private readonly positional: RouteMatch['captures'] | undefined,
    /** The client key of the connection that created it, for the per-client cap; unset for server code. */
    readonly key: string | undefined,
    /** Undoes what the namespace's adapter left outside it (process listeners). */
    readonly release: () => void,
    /** Whether the namespace may wait for the grace period: a socket connected, or server code made it. */
    public populated: boolean,
  ) {}

  get captures(): RouteMatch['captures'] {
    return this.positional ?? this.route.keys.map((key) => this.params[key])
  }
}

/**
 * What one engine.io connection holds in routed namespaces, kept on the connection itself: how many
 * routed sockets (joining or connected) and reservations, and its creations not adopted yet. Only what
 * its closing must let go is listed (`watched`), and only then does the connection get a `close` listener:
 * a socket whose join may outlast its turn (authorize, Redis, another middleware), and a reservation whose
 * socket may come later (`reservationsWait`). A join that completes in its turn needs neither, as socket.io
 * tells the namespace (`_remove`) of a socket whose connection closed on its way in (4.7 and later; before,
 * every joining socket is watched).
 */
interface Holding {
  held: number
  /** Creations that passed the caps and wait for the route's `authorize`. */
  creating: number
  key: string | undefined
  watched: Set<Socket | Entry> | undefined
}

/**
 * A creation a client's CONNECT asked for, counted against its connection and its client key from the
 * moment it passed the caps: `adopt` turns it into the namespace's reservation, `drop` gives it back.
 *
 * @example
 * const claim = lifecycle.claim(connection, '203.0.113.7')
 * if (!allowed) claim.drop()
 */
export interface Claim {
  readonly connection: EngineConnection | undefined
  readonly key: string | undefined
  /** Gives the claim back when nothing was created; calling it again does nothing. Not called once adopted. */
  drop(): void
}

/**
 * Options of {@link createLifecycle}.
 *
 * @example
 * const options: LifecycleOptions = { ttl: 30_000, maxNamespaces: 10_000, perConnection: 128, perClient: 256, clock: systemClock, emitter, refusals }
 */
export interface LifecycleOptions {
  /** How long an empty namespace lives, in ms, or false to keep it. */
  readonly ttl: number | false
  /** Cap on live namespaces, all routes together, for clients' creations. */
  readonly maxNamespaces: number
  /** Cap on the routed sockets (connected or joining) and pending creations of one engine.io connection. */
  readonly perConnection: number
  /** Cap on the live namespaces that the connections of one client key created. */
  readonly perClient: number
  /** Where `namespace.removed` is announced. */
  readonly emitter: Emitter<Record<string, unknown>>
  /** Where a socket that reached a removed namespace, and was disconnected, is recorded (`NS_UNAVAILABLE`). */
  readonly refusals: Refusals
  /** The clock of the removal timers and of recovery deadlines (tests drive their own). */
  readonly clock: Clock
}

/**
 * Live namespace counts, as `router.stats()` reports them.
 *
 * @example
 * const { namespaces, byRoute }: LifecycleCounts = lifecycle.counts()
 */
export interface LifecycleCounts {
  readonly namespaces: number
  readonly byRoute: Readonly<Record<string, number>>
  readonly sockets: number
  /** Connected sockets per route (routes without a live namespace are absent). */
  readonly socketsByRoute: Readonly<Record<string, number>>
  readonly joining: number
  readonly removed: number
}

/**
 * Which bound one more namespace or socket would break.
 *
 * @example
 * const bound: Bound | undefined = lifecycle.capExceeded(route)
 */
export type Bound = 'all routes' | 'route' | 'connection' | 'client'

/**
 * The namespaces a router created, the sockets on their way in, what each connection and client holds,
 * and the rules for removing namespaces.
 *
 * @example
 * const lifecycle = createLifecycle(server, parent, { ttl: 30_000, maxNamespaces: 10_000, perConnection: 128, perClient: 256, emitter, refusals })
 * lifecycle.adopt(namespace, match)
 */
export interface Lifecycle {
  /**
   * Tracks a new namespace. `claim` is the client creation it came from (server code creates with none);
   * `release` runs after its adapter is closed.
   */
  adopt(namespace: Namespace, match: RouteMatch, claim?: Claim, release?: () => void): void
  /** The route match of a live namespace, or undefined once it is removed. */
  matchOf(namespace: Namespace): RouteMatch | undefined
  /** Which cap one more client-created namespace of this route would break, if any. */
  capExceeded(route: CompiledRoute): 'all routes' | 'route' | undefined
  /**
   * Which bound of this connection (`connection`) or of its client key (`client`) one more creation would
   * break, if any. `key` is the client key of the connection.
   */
  clientBound(connection: EngineConnection, key: string): 'connection' | 'client' | undefined
  /** Counts a creation that passed the caps against its connection and key, until it is adopted or dropped. */
  claim(connection: EngineConnection | undefined, key: string | undefined): Claim
  /** The client key cached for a connection, computed once by `compute`. */
  keyOf(connection: EngineConnection, compute: () => string): string
  /**
   * A socket entered the router's middleware; `connection` when its connection is at its bound (refuse it).
   * `waits`: its join waits for something (the route's `authorize`, Redis) before it goes on.
   */
  enter(socket: Socket, waits: boolean): 'connection' | undefined
  /** A socket connected (`connected: true`) or was refused by the router. */
  settle(socket: Socket, connected: boolean): void
  counts(): LifecycleCounts
  /** The live namespaces of a route, with their matches. */
  live(route: string): Array<readonly [Namespace, RouteMatch]>
  /** Removes every live namespace. */
  removeAll(): Promise<void>
}

/**
 * Creates the lifecycle of a router's namespaces:
 * - a namespace with no connected socket is removed after `ttl` ms, unless a socket is still on its way
 *   in (in `authorize` or in the namespace's own middleware), in which case it waits for it; with socket.io's
 *   connection state recovery on, it also waits as long as a session of a socket that left can be recovered;
 * - a namespace a client's CONNECT created, that never held a connected socket, is removed as soon as its
 *   last joining socket is gone (refused, or its connection closed), whatever `ttl` says;
 * - one engine.io connection holds at most `perConnection` routed sockets and pending creations, and the
 *   connections of one client key hold at most `perClient` live namespaces they created;
 * - a socket that still reaches a removed namespace is disconnected, never left in it.
 *
 * @example
 * const lifecycle = createLifecycle(accessServer(io), parent, { ttl: 0, maxNamespaces: 100, perConnection: 128, perClient: 256, clock: systemClock, emitter, refusals })
 */
export function createLifecycle(server: ServerAccess, parent: object, options: LifecycleOptions): Lifecycle {
  const { clock, emitter, refusals } = options
  const recovery = server.recovery()
  // Whether the socket of a client's creation may reach the router's middleware later than in the same turn:
  // socket.io 2.x holds a CONNECT until `/` is through its middleware, and with recovery on 4.6+ first asks
  // the adapter for the client's session. Only then must the connection's closing release the reservation.
  const reservationsWait = server.generation === 2 || recovery !== undefined
  const entries = new Map<Namespace, Entry>()
  const perRoute = new Map<string, number>()
  /** Live and pending client creations per client key. */
  const perKey = new Map<string, number>()
  // Own keys of this lifecycle on the connections (their Holding) and on the sockets it counts (the
  // Holding that counts them): another router on the same server counts for itself.
  const HOLDING = Symbol('socket.io-ns-router holding')
  const COUNTED = Symbol('socket.io-ns-router counted')
  /** Sockets between the router's middleware and their `connection` event, and the entry each is joining. */
  const joining = new Map<Socket, Entry>()
  // The removal deadlines of empty namespaces, on one timer rather than one each.
  const removals = createDeadlines<Entry>(clock, (entry) => expire(entry))
  let removed = 0

  const holdingOf = (connection: EngineConnection): Holding =>
    (carrier(connection)[HOLDING] ??= { held: 0, creating: 0, key: undefined, watched: undefined })

  // A connection no longer holds `socket`; letting go twice counts once.
  const letGo = (socket: Socket): void => {
    const holding = carrier(socket)[COUNTED]
    if (holding === undefined) return
    carrier(socket)[COUNTED] = undefined
    holding.held--
    holding.watched?.delete(socket)
  }

  const count = (socket: Socket, holding: Holding): void => {
    carrier(socket)[COUNTED] = holding
    holding.held++
  }

  // A connection's reservation of the namespace its CONNECT created ends (its socket entered, or it closed).
  const unreserve = (entry: Entry): void => {
    const connection = entry.reserved
    if (connection === undefined) return
    entry.reserved = undefined
    const holding = holdingOf(connection)
    holding.held--
    holding.watched?.delete(entry)
  }

  // What the connection's closing must let go at once; the listener is shared by every connection.
  const watch = (connection: EngineConnection, holding: Holding, item: Socket | Entry): void => {
    if (holding.watched === undefined) {
      holding.watched = new Set()
      connection.on('close', onClose)
    }
    holding.watched.add(item)
  }

  const remove = async (namespace: Namespace, entry: Entry): Promise<void> => {
    entries.delete(namespace)
    removals.cancel(entry)
    const route = entry.route.name
    perRoute.set(route, (perRoute.get(route) as number) - 1)
    countKey(perKey, entry.key, -1)
    // What connections hold of it goes with it, so that nothing keeps a removed namespace reachable.
    unreserve(entry)
    if (entry.joining > 0) {
      for (const [socket, joined] of joining) {
        if (joined === entry) {
          joining.delete(socket)
          letGo(socket)
        }
      }
    }
    removed++
    await removeNamespace(server, parent, namespace)
    entry.release()
    retire(namespace, refusals)
    safeEmit(emitter, 'namespace.removed', { route, name: namespace.name }, reporter(emitter, 'namespace.removed handler', route, namespace.name))
  }

  // Every way out of `joining` is heard (connected, refused by any middleware, connection closed), so a
  // namespace is empty when nothing is joining, reserved or connected.
  const isEmpty = (namespace: Namespace, entry: Entry): boolean =>
    entry.joining === 0 && entry.reserved === undefined && server.socketCount(namespace) === 0

  const schedule = (namespace: Namespace, entry: Entry): void => {
    if (options.ttl === false || server.socketCount(namespace) > 0) return removals.cancel(entry)
    // A session of a socket that left can be recovered until `recoverableUntil`: the namespace (whose
    // adapter holds the session) must outlive it, or the client comes back to a fresh namespace.
    const now = clock.now()
    removals.set(entry, now + Math.max(options.ttl, entry.recoverableUntil - now))
  }

  const expire = (entry: Entry): void => {
    if (isEmpty(entry.namespace, entry)) {
      debug('removing %s: empty for its grace period', entry.namespace.name)
      void remove(entry.namespace, entry)
    } else schedule(entry.namespace, entry)
  }

  // A namespace nobody ever connected to has no grace: it goes as soon as nobody is on the way in. Checked
  // a turn later: a socket may be on its way in between socket.io's lookup of the namespace and the
  // router's middleware.
  const removeIfAbandoned = (namespace: Namespace, entry: Entry): void => {
    setImmediate(() => {
      if (entries.get(namespace) === entry && !entry.populated && isEmpty(namespace, entry)) {
        debug('removing %s: nobody who joined it connected', namespace.name)
        void remove(namespace, entry)
      }
    })
  }

  const recheck = (namespace: Namespace, entry: Entry): void => {
    if (entry.populated) schedule(namespace, entry)
    else removeIfAbandoned(namespace, entry)
  }

  // One listener shared by every connection that has something watched: it is let go at once.
  function onClose(this: EngineConnection): void {
    const watched = holdingOf(this).watched as Set<Socket | Entry>
    for (const item of [...watched]) {
      if (isEntry(item)) {
        unreserve(item)
        recheck(item.namespace, item)
      } else {
        letGo(item)
        const entry = unpend(item)
        if (entry) recheck(entry.namespace, entry)
      }
    }
  }

  // A socket is no longer on its way in: the entry it was joining, if it was.
  const unpend = (socket: Socket): Entry | undefined => {
    const entry = joining.get(socket)
    if (entry === undefined) return undefined
    joining.delete(socket)
    entry.joining--
    return entry
  }

  const isFull = (holding: Holding): boolean => holding.held + holding.creating >= options.perConnection

  // One listener shared by every namespace, which socket.io calls for every socket that leaves it: a
  // joining socket that socket.io forgot (a later middleware refused it, or its connection closed first) is
  // not on its way in any more; a connected one left (socket.io tells the namespace before it emits
  // `disconnect`, on every version). With recovery on, a connected one is heard by its `disconnect`
  // listener instead, for the reason.
  function onLeft(this: Namespace, socket: Socket): void {
    const entry = unpend(socket)
    if (entry) {
      letGo(socket)
      return recheck(this, entry)
    }
    if (recovery) return
    letGo(socket)
    const live = entries.get(this)
    if (live?.populated && server.socketCount(this) === 0) schedule(this, live)
  }

  // With recovery on, one listener shared by every socket (`this` is the socket) rather than a closure per
  // socket. A namespace object is adopted once, so the entry found is the one the socket settled in, or none.
  function onDisconnect(this: Socket, reason: string): void {
    letGo(this)
    const namespace = this.nsp
    const entry = entries.get(namespace)
    if (!entry) return
    if (RECOVERABLE.has(reason)) entry.recoverableUntil = clock.now() + (recovery as { maxDisconnectionDuration: number }).maxDisconnectionDuration
    if (server.socketCount(namespace) === 0) schedule(namespace, entry)
  }

  const settle = (socket: Socket, connected: boolean): void => {
    const namespace = socket.nsp
    const entry = entries.get(namespace)
    if (!entry) return
    const entered = unpend(socket) !== undefined
    if (connected) {
      entry.populated = true
      removals.cancel(entry)
      // A socket that entered is counted already; a recovered one skips middleware (socket.io's default).
      // Connected, it is let go when it leaves (`onLeft`, or `disconnect` with recovery on), not on its
      // connection's closing.
      if (entered) carrier(socket)[COUNTED]?.watched?.delete(socket)
      else count(socket, holdingOf(socket.conn))
      if (recovery) socket.on('disconnect', onDisconnect)
      return
    }
    letGo(socket)
    recheck(namespace, entry)
  }

  // A namespace a client's CONNECT created normally has that socket connected within the turn, which
  // clears a removal timer as soon as it is armed. So its timer is armed a turn later, for all the
  // namespaces created in that turn at once, and only for those still without a socket; a timer armed
  // and cleared per creation was a tenth of the router's cost of creating a namespace (bench/README.md).
  let unconfirmed: [Namespace, Entry][] = []
  const confirm = (): void => {
    const batch = unconfirmed
    unconfirmed = []
    for (const [namespace, entry] of batch) {
      if (entries.get(namespace) === entry && !entry.populated) schedule(namespace, entry)
    }
  }

  return {
    adopt(namespace, match, claim, release = () => {}) {
      // A RegExp route's captures, filled by pushes, have room for more: a copy of their size is kept.
      const positional = match.route.kind === 'path' ? undefined : match.captures.length === 0 ? NO_CAPTURES : match.captures.slice()
      const entry = new Entry(namespace, match.route, match.params, positional, claim?.key, release, claim === undefined)
      entries.set(namespace, entry)
      server.watchLeaving(namespace, onLeft)
      const route = match.route.name
      perRoute.set(route, (perRoute.get(route) ?? 0) + 1)
      if (claim === undefined) return schedule(namespace, entry)
      // The claim's count against its key now belongs to the live namespace, until it is removed.
      const connection = claim.connection
      if (connection) {
        const holding = holdingOf(connection)
        holding.creating--
        holding.held++
        entry.reserved = connection
        if (reservationsWait) watch(connection, holding, entry)
      }
      if (unconfirmed.push([namespace, entry]) === 1) setImmediate(confirm)
    },
    matchOf(namespace) {
      return entries.get(namespace)
    },
    capExceeded(route) {
      if (entries.size >= options.maxNamespaces) return 'all routes'
      if ((perRoute.get(route.name) ?? 0) >= route.maxNamespaces) return 'route'
      return undefined
    },
    clientBound(connection, key) {
      if (isFull(holdingOf(connection))) return 'connection'
      if ((perKey.get(key) ?? 0) >= options.perClient) return 'client'
      return undefined
    },
    claim(connection, key) {
      const holding = connection && holdingOf(connection)
      if (holding) holding.creating++
      countKey(perKey, key, 1)
      return new ClientClaim(connection, key, holding, perKey)
    },
    keyOf(connection, compute) {
      const holding = holdingOf(connection)
      return (holding.key ??= compute())
    },
    enter(socket, waits) {
      const entry = entries.get(socket.nsp)
      if (!entry) return undefined
      const connection = socket.conn
      // The creator's reservation becomes its socket; anyone else needs room on their connection.
      const creator = entry.reserved === connection
      if (creator) unreserve(entry)
      // Its connection closed before socket.io made the socket (a microtask after the CONNECT since 4.6): its
      // join ends here, which socket.io before 4.7 would never tell the namespace.
      if (connection.readyState !== 'open') {
        recheck(socket.nsp, entry)
        return undefined
      }
      const holding = holdingOf(connection)
      if (!creator && isFull(holding)) {
        // Refused at the door: if it was the only one on its way in, the namespace has no reason to stay.
        recheck(socket.nsp, entry)
        return 'connection'
      }
      count(socket, holding)
      // Its connection's closing must let it go when its join may outlast this turn (it waits, or a middleware
      // after the router's may), or when socket.io would not tell the namespace of its end.
      if (waits || server.middlewareCount(socket.nsp) > 1 || !server.removesAbandoned(socket)) watch(connection, holding, socket)
      joining.set(socket, entry)
      entry.joining++
      return undefined
    },
    settle,
    counts() {
      let sockets = 0
      const socketsByRoute: Record<string, number> = {}
      for (const [namespace, entry] of entries) {
        const count = server.socketCount(namespace)
        sockets += count
        socketsByRoute[entry.route.name] = (socketsByRoute[entry.route.name] ?? 0) + count
      }
      return { namespaces: entries.size, byRoute: fromEntries(perRoute), sockets, socketsByRoute, joining: joining.size, removed }
    },
    live(route) {
      const found: Array<readonly [Namespace, RouteMatch]> = []
      for (const [namespace, entry] of entries) if (entry.route.name === route) found.push([namespace, entry])
      return found
    },
    async removeAll() {
      await Promise.all([...entries].map(([namespace, entry]) => remove(namespace, entry)))
    },
  }
}

// A claim is made for every creation a client asks for: its `drop` is a method, not a closure per claim.
class ClientClaim implements Claim {
  private dropped = false

  constructor(
    readonly connection: EngineConnection | undefined,
    readonly key: string | undefined,
    private readonly holding: Holding | undefined,
    private readonly perKey: Map<string, number>,
  ) {}

  drop(): void {
    if (this.dropped) return
    this.dropped = true
    if (this.holding) this.holding.creating--
    countKey(this.perKey, this.key, -1)
  }
}

function countKey(perKey: Map<string, number>, key: string | undefined, delta: number): void {
  if (key === undefined) return
  const count = (perKey.get(key) ?? 0) + delta
  if (count === 0) perKey.delete(key)
  else perKey.set(key, count)
}

// A connection or socket as the holder of this lifecycle's own symbol-keyed fields.
function carrier(holder: EngineConnection | Socket): Record<symbol, Holding | undefined> {
  return holder as unknown as Record<symbol, Holding | undefined>
}

function isEntry(item: Socket | Entry): item is Entry {
  return 'reserved' in item
}
