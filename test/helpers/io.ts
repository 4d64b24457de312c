// Real socket.io servers on 127.0.0.1:0 and real clients of both generations, closed in teardown.
import { createServer, type Server as HttpServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { io as connectV4, type Socket as ClientSocket } from 'socket.io-client'

const require = createRequire(import.meta.url)
const connectV2 = require('socket.io-client-v2') as (url: string, options?: object) => LegacyClientSocket

/** The generations of server the suite runs against. '4' is the 4.8 in devDependencies. */
export type ServerKind = '2' | '4' | '4.0' | '4.1' | '4.2' | '4.3' | '4.4' | '4.5' | '4.6' | '4.7'
export const EVERY_4X_MINOR: ServerKind[] = ['4.0', '4.1', '4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4']

/** A socket.io-client 2.x socket (untyped package). */
export interface LegacyClientSocket {
  id: string
  nsp: string
  connected: boolean
  io: { socket(nsp: string, options?: object): LegacyClientSocket; engine: unknown }
  on(event: string, listener: (...args: any[]) => void): LegacyClientSocket
  once(event: string, listener: (...args: any[]) => void): LegacyClientSocket
  emit(event: string, ...args: unknown[]): LegacyClientSocket
  close(): void
  disconnect(): void
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Started {
  io: any
  http: HttpServer
  url: string
}

/** Starts a socket.io server of the given kind; v4 servers accept v2 clients (`allowEIO3`). */
export async function startServer(t: Teardown, kind: ServerKind = '4', options: object = {}): Promise<Started> {
  const http = createServer()
  let io: any
  if (kind === '2') io = require('socket.io-v2')(http, options)
  else if (kind === '4') io = new Server(http, { allowEIO3: true, ...options })
  else io = new (require(`socket.io-${kind}`).Server)(http, { allowEIO3: true, ...options })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  t.teardown(() => new Promise<void>((resolve) => {
    io.close()
    http.close(() => resolve())
    http.closeAllConnections?.()
  }))
  return { io, http, url: `http://127.0.0.1:${port}` }
}

/** A v3/v4 client socket for `url + nsp`; no reconnection, websocket only unless told otherwise. */
export function clientV4(t: Teardown, url: string, options: Record<string, unknown> = {}): ClientSocket {
  const socket = connectV4(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...options })
  t.teardown(() => { socket.close() })
  return socket
}

/** A socket.io-client 2.x socket for `url` (which includes the namespace). */
export function clientV2(t: Teardown, url: string, options: Record<string, unknown> = {}): LegacyClientSocket {
  const socket = connectV2(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...options })
  t.teardown(() => { socket.close() })
  return socket
}

/** Resolves with the arguments of the next `event`, or rejects after `ms` (so a hang fails the test). */
export function once(
  emitter: { once(event: string, listener: (...args: any[]) => void): unknown },
  event: string,
  ms = 3000,
): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for "${event}"`)), ms)
    emitter.once(event, (...args: any[]) => {
      clearTimeout(timer)
      resolve(args)
    })
  })
}

/** Resolves with the next payload of a mitt event, or rejects after `ms`. */
export function nextEvent<T = any>(
  emitter: { on(type: any, handler: any): void; off(type: any, handler: any): void },
  type: string,
  ms = 3000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const handler = (payload: T) => {
      clearTimeout(timer)
      emitter.off(type, handler)
      resolve(payload)
    }
    const timer = setTimeout(() => {
      emitter.off(type, handler)
      reject(new Error(`timed out after ${ms} ms waiting for router event "${type}"`))
    }, ms)
    emitter.on(type, handler)
  })
}

/** Waits for a client's first `connect` or rejects with its connection error. */
export function connected(socket: { once(event: string, listener: (...args: any[]) => void): unknown }, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect after ${ms} ms`)), ms)
    socket.once('connect', () => { clearTimeout(timer); resolve() })
    socket.once('connect_error', (err: Error) => { clearTimeout(timer); reject(err) })
    socket.once('error', (err: unknown) => { clearTimeout(timer); reject(err instanceof Error ? err : Object.assign(new Error('error event'), { data: err })) })
  })
}

/** Resolves after `ms` milliseconds. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The registered namespace names of a server of either generation. */
export function namespaceNames(io: any): string[] {
  return io._nsps instanceof Map ? [...io._nsps.keys()] : Object.keys(io.nsps)
}

/**
 * A raw engine.io long-polling session, for what no client library sends (a repeated query key):
 * handshakes with `query`, sends `packets` (socket.io-encoded strings), and returns what the server
 * answered to them.
 */
export async function rawPolling(url: string, query: string, packets: string[], eio = 4): Promise<string> {
  const base = `${url}/socket.io/?EIO=${eio}&transport=polling&${query}`
  const handshake = await (await fetch(base)).text()
  const sid = /"sid":"([^"]+)"/.exec(handshake)?.[1]
  if (!sid) throw new Error(`no engine.io handshake: ${handshake}`)
  const session = `${base}&sid=${sid}`
  const frame = (data: string) => (eio === 3 ? `${data.length + 1}:4${data}` : `4${data}`)
  if (packets.length) await fetch(session, { method: 'POST', body: packets.map(frame).join(eio === 3 ? '' : '\x1e') })
  const answer = await (await fetch(session)).text()
  await fetch(session, { method: 'POST', body: eio === 3 ? '1:1' : '1' }).catch(() => {})
  return eio === 3 ? handshake.slice(handshake.indexOf('}') + 1) + answer : answer
}

/** Polls `predicate` every 10 ms until it holds, or rejects after `ms` with `what`. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`)
    await delay(10)
  }
}
