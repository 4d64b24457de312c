import createDebug from 'debug'
import type { EngineConnection } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:double-slash')

interface EnginePacket {
  type: string
  data?: unknown
  options?: Record<string, unknown>
}

/**
 * Makes the seed client's `//category/1/item/2/chat` an alias of `/category/1/item/2/chat` on one
 * engine.io connection, at the packet level:
 * - incoming socket.io packets for `//x` are rewritten to `/x` before socket.io decodes them, so the
 *   socket joins the one namespace `/x` (socket.io 4.8 would otherwise parse `//x` as a URL with the
 *   host `x`, and the client would wait for ever);
 * - outgoing packets for `/x` are rewritten back to `//x`, because a client only accepts packets for
 *   the namespace it asked for.
 * Only names for which `isRouted` holds are aliased; every other packet is left as it is.
 * Returns a function that removes the listeners.
 *
 * @example
 * io.engine.on('connection', (conn) => aliasDoubleSlash(conn, (name) => matcher.match(name) !== undefined))
 */
export function aliasDoubleSlash(connection: EngineConnection, isRouted: (canonical: string) => boolean): () => void {
  const aliases = new Set<string>()

  const incoming = (packet: EnginePacket): void => {
    if (packet.type !== 'message' || typeof packet.data !== 'string') return
    const parts = splitNamespace(packet.data)
    if (!parts || !parts.nsp.startsWith('//')) return
    const canonical = parts.nsp.slice(1)
    const path = canonical.split('?', 1)[0] as string
    if (!aliases.has(path)) {
      if (parts.head !== '0' || !isRouted(path)) return
      debug('aliasing %s to %s', parts.nsp, canonical)
      aliases.add(path)
    }
    packet.data = parts.head + canonical + parts.rest
  }

  const outgoing = (packet: EnginePacket): void => {
    if (aliases.size === 0 || packet.type !== 'message') return
    let renamed = false
    const rename = (data: unknown): unknown => {
      const parts = typeof data === 'string' ? splitNamespace(data) : undefined
      if (!parts || !aliases.has(parts.nsp)) return data
      renamed = true
      return parts.head + '/' + parts.nsp + parts.rest
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

  connection.on('packet', incoming)
  connection.on('packetCreate', outgoing)
  return () => {
    connection.removeListener('packet', incoming)
    connection.removeListener('packetCreate', outgoing)
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
