import createDebug from 'debug'
import type { Matcher } from './matcher.js'
import { isCanonical, isProblem, parseName } from './name.js'
import { withoutSharedEncoding, type EngineConnection, type ServerAccess } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:namespace-alias')

interface EnginePacket {
  type: string
  data?: unknown
  options?: Record<string, unknown>
}

/**
 * The aliasing of many engine.io connections, with one shared listener.
 *
 * @example
 * const aliases: ConnectionAliases = createAliases({ server, matcher, maxNameLength: 256, parentCheck: check })
 * io.engine.on('connection', aliases.watch)
 */
export interface ConnectionAliases {
  /** Starts aliasing one connection's namespaces. */
  watch(connection: EngineConnection): void
  /** Stops aliasing one connection's namespaces (it keeps the aliases it has). */
  unwatch(connection: EngineConnection): void
  /**
   * The connection whose CONNECT packet for `name` socket.io is handling now, once: socket.io checks a
   * CONNECT's namespace in the same call that delivered the packet, and tells the check nothing of the
   * connection. Undefined when the last CONNECT was for another name (a check socket.io made later, after
   * another parent namespace answered asynchronously).
   */
  takeConnecting(name: string): EngineConnection | undefined
  /** The name a socket.io-client 2 asked for, when `name` is the stand-in that replaced it; else undefined. */
  standIn(name: string): string | undefined
}

/**
 * What the aliases decide with: the server, the routes, and the router's parent check.
 *
 * @example
 * const options: AliasOptions = { server: accessServer(io), matcher, maxNameLength: 256, parentCheck: check }
 */
export interface AliasOptions {
  readonly server: ServerAccess
  readonly matcher: Matcher
  readonly maxNameLength: number
  /** The router's parent check: a stand-in only helps while socket.io asks it last (its refusal is final). */
  readonly parentCheck: unknown
}

/**
 * Lets engine.io connections use a namespace under another name than the server's, at the packet
 * level: the incoming packets for the client's name are rewritten to the server's name before socket.io
 * decodes them, and the outgoing packets for the server's name are rewritten back, because a client only
 * accepts packets for the name it asked for. Two kinds of alias:
 * - the `//x` spelling of the io-handler snippet's frontend snippet, an alias of `/x` when `/x` is routed;
 * - a stand-in (`/~ns-router-refusal-<n>`) for an invalid name a socket.io-client 2 asked for that socket.io
 *   would itself rewrite before any check (socket.io 4.8 reads a v2 client's name as a URL), which would
 *   otherwise leave that client waiting for ever: the parent check refuses the stand-in with a code, under
 *   the name the client asked for (`standIn`). A stand-in goes once the packet that ends its CONNECT (a
 *   refusal) went out, or when the connection closes.
 *
 * Every connection is watched by one shared listener, and nothing is kept per connection without an alias,
 * which is almost every connection: a server holds one engine.io connection per client, and any
 * per-connection bookkeeping adds up (bench/README.md). It reads every CONNECT of a socket.io-client 2
 * connection (protocol 3, or any on a socket.io 2 server), and only `//x` ones of the others: only `//x` can
 * be an alias there, and a v3/v4 CONNECT for any other name, the common case, is not parsed here (the
 * parent's check parses it).
 *
 * @example
 * const aliases = createAliases({ server: accessServer(io), matcher, maxNameLength: 256, parentCheck: check })
 * io.engine.on('connection', aliases.watch)
 */
export function createAliases({ server, matcher, maxNameLength, parentCheck }: AliasOptions): ConnectionAliases {
  // Stand-in name → the name the client asked for.
  const standIns = new Map<string, string>()
  let standInCount = 0
  const everyName = (connection: EngineConnection): boolean => connection.protocol === 3 || server.generation === 2
  const onReleased = (serverName: string): void => void standIns.delete(serverName)

  const decide = (path: string, connection: EngineConnection): string | undefined => {
    const parsed = parseName(path, maxNameLength)
    // A canonical spelling is its own canonical spelling: match it as it is, without parsing it again.
    if (!isProblem(parsed)) return parsed.canonical !== path && matcher.match(parsed.canonical) ? parsed.canonical : undefined
    // Only a name socket.io would rewrite before the check needs a stand-in: any other name reaches the
    // check as it is (or whatever serves it, as on plain socket.io).
    if (!everyName(connection) || !server.isLastParent(parentCheck) || server.legacyName(path) === path) return undefined
    const standIn = `/~ns-router-refusal-${++standInCount}`
    standIns.set(standIn, path)
    return standIn
  }

  const aliased = new WeakMap<EngineConnection, Aliases>()
  // The last CONNECT packet and its connection. The packet's data is read when asked for, after any
  // aliasing below rewrote it to the server's name.
  let connectingFrom: EngineConnection | undefined
  let connectingPacket: EnginePacket | undefined

  function incoming(this: EngineConnection, packet: EnginePacket): void {
    if (packet.type !== 'message' || typeof packet.data !== 'string') return
    const connect = packet.data.charCodeAt(0) === 48
    if (connect) {
      connectingFrom = this
      connectingPacket = packet
    }
    let aliases = aliased.get(this)
    if (aliases === undefined) {
      // Without an alias, only a CONNECT ('0') can start one: every other packet passes untouched.
      if (!connect) return
      if (packet.data.charCodeAt(1) !== 47 || packet.data.charCodeAt(2) !== 47) {
        // And unless `decide` wants to see every name of this connection, only a CONNECT for '//...'. A
        // name that is its own canonical spelling, the common case, needs no alias: told without splitting
        // the packet, as this runs for every CONNECT of a socket.io-client 2.
        if (!everyName(this) || isCanonical(connectName(packet.data), maxNameLength)) return
      }
    }
    const parts = splitNamespace(packet.data)
    if (!parts) return
    const [path, query] = splitQuery(parts.nsp)
    let serverName = aliases?.reverse.get(path)
    if (serverName === undefined) {
      if (parts.head !== '0') return
      serverName = decide(path, this)
      if (serverName === undefined) return
      debug('connection %s: %s is %s on the server', (this as { id?: string }).id, JSON.stringify(path.slice(0, 100)), serverName)
      if (aliases === undefined) {
        aliases = startAliases(this, onReleased)
        aliased.set(this, aliases)
      }
      aliases.add(serverName, path)
    }
    packet.data = parts.head + serverName + query + parts.rest
  }

  return {
    watch(connection) {
      connection.on('packet', incoming)
    },
    unwatch(connection) {
      connection.removeListener('packet', incoming)
      aliased.get(connection)?.stop()
    },
    takeConnecting(name) {
      const connection = connectingFrom
      const data = connectingPacket?.data as string | undefined
      connectingFrom = connectingPacket = undefined
      // '0' + name, then the end, a query ('?', protocol 3) or the payload (',').
      const after = data?.charAt(name.length + 1)
      return data?.startsWith(name, 1) && (after === '' || after === ',' || after === '?') ? connection : undefined
    },
    standIn: (name) => standIns.get(name),
  }
}

interface Aliases {
  /** Client-side name → server-side name. */
  readonly reverse: ReadonlyMap<string, string>
  add(serverName: string, clientName: string): void
  stop(): void
}

// The aliases of one connection, the rewriting of what is sent to it, and their release. Made with
// the connection's first alias only.
function startAliases(connection: EngineConnection, onReleased: (serverName: string) => void): Aliases {
  /** Server-side name → client-side name. */
  const aliases = new Map<string, string>()
  const reverse = new Map<string, string>()

  const outgoing = (packet: EnginePacket): void => {
    if (aliases.size === 0 || packet.type !== 'message') return
    let renamed = false
    const rename = (data: unknown): unknown => {
      const parts = typeof data === 'string' ? splitNamespace(data) : undefined
      const clientName = parts && aliases.get(parts.nsp)
      if (!parts || clientName === undefined) return data
      renamed = true
      // A CONNECT_ERROR (protocol 3: ERROR) ends that CONNECT: the alias is not needed any more.
      if (parts.head === '4') release(parts.nsp)
      return parts.head + clientName + parts.rest
    }
    // engine.io 5.1 and 5.2 carry a broadcast's pre-encoded packets as an array.
    const data = Array.isArray(packet.data) ? packet.data.map(rename) : rename(packet.data)
    if (!renamed) return
    packet.data = data
    // A broadcast may carry a WebSocket frame encoded once for every recipient; this recipient
    // needs its own encoding, and the shared options object must stay untouched.
    if (packet.options) packet.options = withoutSharedEncoding(packet.options)
  }

  const release = (serverName: string): void => {
    reverse.delete(aliases.get(serverName) as string)
    aliases.delete(serverName)
    onReleased(serverName)
  }

  const close = (): void => {
    for (const serverName of [...aliases.keys()]) release(serverName)
  }

  connection.on('packetCreate', outgoing)
  connection.on('close', close)
  return {
    reverse,
    add(serverName, clientName) {
      aliases.set(serverName, clientName)
      reverse.set(clientName, serverName)
    },
    stop() {
      connection.removeListener('packetCreate', outgoing)
      connection.removeListener('close', close)
    },
  }
}

/**
 * Splits an encoded socket.io packet (protocol v3 to v5) into its type and attachment count, its
 * namespace, and the rest, or returns undefined when it names no namespace.
 *
 * @example
 * splitNamespace('2/chat,["hi"]') // { head: '2', nsp: '/chat', rest: ',["hi"]' }
 */
export function splitNamespace(data: string): { head: string; nsp: string; rest: string } | undefined {
  let index = 1
  while (index < data.length && data.charCodeAt(index) >= 48 && data.charCodeAt(index) <= 57) index++
  index = data[index] === '-' ? index + 1 : 1
  if (data[index] !== '/') return undefined
  const comma = data.indexOf(',', index)
  const end = comma === -1 ? data.length : comma
  return { head: data.slice(0, index), nsp: data.slice(index, end), rest: data.slice(end) }
}

// The name of a CONNECT packet ('0' then the name), up to its query ('?') or payload (','), as
// `splitNamespace` and `splitQuery` would read it.
function connectName(data: string): string {
  let end = 1
  while (end < data.length) {
    const code = data.charCodeAt(end)
    if (code === 63 || code === 44) break
    end++
  }
  return data.slice(1, end)
}

function splitQuery(nsp: string): [string, string] {
  const mark = nsp.indexOf('?')
  return mark === -1 ? [nsp, ''] : [nsp.slice(0, mark), nsp.slice(mark)]
}
