import createDebug from 'debug'
import type { EngineConnection } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:namespace-alias')

interface EnginePacket {
  type: string
  data?: unknown
  options?: Record<string, unknown>
}

/**
 * Decides, for the path of a namespace a client asks for, which name the server should see instead,
 * or undefined to leave the CONNECT alone. `legacy` is true for socket.io-client 2.x connections.
 *
 * @example
 * const decide: AliasDecision = (path) => (path.startsWith('//') ? path.slice(1) : undefined)
 */
export type AliasDecision = (path: string, legacy: boolean) => string | undefined

/**
 * Lets one engine.io connection use a namespace under another name than the server's, at the packet
 * level: when `decide` maps a CONNECT's name to another, the incoming packets for the client's name
 * are rewritten to the server's name before socket.io decodes them, and the outgoing packets for the
 * server's name are rewritten back, because a client only accepts packets for the name it asked for.
 * The router uses it for the seed's `//x` spelling (an alias of `/x`), and to answer, with a code, the
 * names socket.io would itself rewrite before any check (socket.io 4.8 reads a v2 client's name as a
 * URL), which would otherwise leave that client waiting for ever. `onReleased` is called with a server
 * name once the packet that ends its CONNECT (a refusal) went out, or when the connection closes.
 * Returns a function that removes the listeners.
 *
 * @example
 * io.engine.on('connection', (conn) => aliasNamespaces(conn, (path) => (path.startsWith('//') ? path.slice(1) : undefined), false, () => {}))
 */
export function aliasNamespaces(
  connection: EngineConnection,
  decide: AliasDecision,
  legacy: boolean,
  onReleased: (serverName: string) => void,
): () => void {
  /** Server-side name → client-side name. */
  const aliases = new Map<string, string>()
  /** Client-side name → server-side name. */
  const reverse = new Map<string, string>()

  const incoming = (packet: EnginePacket): void => {
    if (packet.type !== 'message' || typeof packet.data !== 'string') return
    const parts = splitNamespace(packet.data)
    if (!parts) return
    const [path, query] = splitQuery(parts.nsp)
    let serverName = reverse.get(path)
    if (serverName === undefined) {
      if (parts.head !== '0') return
      serverName = decide(path, legacy)
      if (serverName === undefined) return
      debug('connection %s: %s is %s on the server', (connection as { id?: string }).id, JSON.stringify(path.slice(0, 100)), serverName)
      aliases.set(serverName, path)
      reverse.set(path, serverName)
    }
    packet.data = parts.head + serverName + query + parts.rest
  }

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
    if (packet.options) {
      const { wsPreEncoded: _a, wsPreEncodedFrame: _b, ...options } = packet.options
      packet.options = options
    }
  }

  const release = (serverName: string): void => {
    reverse.delete(aliases.get(serverName) as string)
    aliases.delete(serverName)
    onReleased(serverName)
  }

  const close = (): void => {
    for (const serverName of [...aliases.keys()]) release(serverName)
  }

  connection.on('packet', incoming)
  connection.on('packetCreate', outgoing)
  connection.on('close', close)
  return () => {
    connection.removeListener('packet', incoming)
    connection.removeListener('packetCreate', outgoing)
    connection.removeListener('close', close)
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

function splitQuery(nsp: string): [string, string] {
  const mark = nsp.indexOf('?')
  return mark === -1 ? [nsp, ''] : [nsp.slice(0, mark), nsp.slice(mark)]
}
