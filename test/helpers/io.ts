// Real socket.io servers on 127.0.0.1:0 and real clients of every generation, closed in teardown.
import { readFileSync } from 'node:fs'
import { createServer, type Server as HttpServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { io as connectV4, type Socket as ClientSocket } from 'socket.io-client'

const require = createRequire(import.meta.url)

/**
 * The socket.io servers the suite runs against, as npm aliases in devDependencies: '2' is 2.5 and '4' is
 * the 4.8 of `socket.io`; the others are that minor's latest patch.
 */
export type ServerKind = '2.1' | '2' | '3.0' | '3.1' | '4.0' | '4.1' | '4.2' | '4.3' | '4.4' | '4.5' | '4.6' | '4.7' | '4'
export const EVERY_4X_MINOR: ServerKind[] = ['4.0', '4.1', '4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4']
/** Every tested server version of the peer range (`>=2.1.0 <5`), oldest first. */
export const EVERY_SERVER: ServerKind[] = ['2.1', '2', '3.0', '3.1', ...EVERY_4X_MINOR]
/**
 * 2.1, 2.5, 3.0, 3.1 and 4.8: both ends of the 2.x line, both 3.x minors and the newest 4.x, for tests
 * of what differs by server generation; the 4.x minors in between run where they differ from 4.8.
 */
export const SERVER_LINES: ServerKind[] = ['2.1', '2', '3.0', '3.1', '4']

/** The socket.io-client versions the suite connects with: '2' is 2.5 and '4' is 4.8. */
export type ClientKind = '2.1' | '2' | '3.0' | '3.1' | '4.0' | '4'
export type LegacyClientKind = '2.1' | '2'
export type ModernClientKind = '3.0' | '3.1' | '4.0' | '4'
export const EVERY_CLIENT: ClientKind[] = ['2.1', '2', '3.0', '3.1', '4.0', '4']

const SERVER_MODULES: Record<ServerKind, string> = {
  '2.1': 'socket.io-2.1', '2': 'socket.io-v2', '3.0': 'socket.io-3.0', '3.1': 'socket.io-3.1',
  '4.0': 'socket.io-4.0', '4.1': 'socket.io-4.1', '4.2': 'socket.io-4.2', '4.3': 'socket.io-4.3',
  '4.4': 'socket.io-4.4', '4.5': 'socket.io-4.5', '4.6': 'socket.io-4.6', '4.7': 'socket.io-4.7', '4': 'socket.io',
}
const CLIENT_MODULES: Record<ClientKind, string> = {
  '2.1': 'socket.io-client-2.1', '2': 'socket.io-client-v2', '3.0': 'socket.io-client-3.0',
  '3.1': 'socket.io-client-3.1', '4.0': 'socket.io-client-4.0', '4': 'socket.io-client',
}

/** The version a kind stands for, for test titles: '2' is 2.5, '4' is 4.8. */
export function versionOf(kind: ServerKind | ClientKind): string {
  return kind === '2' ? '2.5' : kind === '4' ? '4.8' : kind
}

/** socket.io 2.x servers (engine.io 3, protocol v3 only). */
export function isLegacyServer(kind: ServerKind): boolean {
  return kind === '2' || kind === '2.1'
}

/** socket.io-client 2.x (engine.io protocol 3). */
export function isLegacyClient(kind: ClientKind): kind is LegacyClientKind {
  return kind === '2' || kind === '2.1'
}

/**
 * Whether a server of `server` kind talks to a client of `client` kind at all:
 * - socket.io 2.x speaks engine.io protocol 3 only: socket.io-client 2.x only;
 * - socket.io 3.0 (engine.io 4.0) speaks protocol 4 only and has no `allowEIO3`: no socket.io-client 2.x;
 * - socket.io 3.1 and 4.x speak protocol 4, and protocol 3 with `allowEIO3` (which `startServer` sets).
 */
export function accepts(server: ServerKind, client: ClientKind): boolean {
  if (isLegacyServer(server)) return isLegacyClient(client)
  if (server === '3.0') return !isLegacyClient(client)
  return true
}

/** A socket.io-client 2.x socket (untyped package). */
export interface LegacyClientSocket {
  id: string
  nsp: string
  connected: boolean
  io: { socket(nsp: string, options?: object): LegacyClientSocket; engine: unknown }
  on(event: string, listener: (...args: any[]) => void): LegacyClientSocket
  once(event: string, listener: (...args: any[]) => void): LegacyClientSocket
  emit(event: string, ...args: unknown[]): LegacyClientSocket
  open(): LegacyClientSocket
  close(): void
  disconnect(): void
}

/** The client of a server's own release line: the one every server kind accepts without `allowEIO3`. */
export function clientFor(server: ServerKind): ClientKind {
  return server === '2.1' || server === '3.0' || server === '3.1' || server === '4.0' ? server : server === '2' ? '2' : '4'
}

/** A socket.io server of `kind` with no HTTP server yet (its engine comes with `attach()`). */
export function unattachedServer(kind: ServerKind): any {
  if (isLegacyServer(kind)) return require(SERVER_MODULES[kind])()
  return new (require(SERVER_MODULES[kind]).Server)({ allowEIO3: true })
}

/** The version of socket.io or socket.io-client installed for a kind, from its package.json. */
export function installedVersion(kind: ServerKind | ClientKind, of: 'server' | 'client'): string {
  const name = of === 'server' ? SERVER_MODULES[kind as ServerKind] : CLIENT_MODULES[kind as ClientKind]
  // Read from disk: some versions' `exports` do not list package.json.
  return (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Started {
  io: any
  http: HttpServer
  url: string
}

/**
 * Starts a socket.io server of the given kind; 3.x and 4.x servers get `allowEIO3`, so that 3.1 and
 * later accept v2 clients (3.0 has no such option: see `accepts`).
 */
export async function startServer(t: Teardown, kind: ServerKind = '4', options: object = {}): Promise<Started> {
  const http = createServer()
  let io: any
  if (isLegacyServer(kind)) io = require(SERVER_MODULES[kind])(http, options)
  else if (kind === '4') io = new Server(http, { allowEIO3: true, ...options })
  else io = new (require(SERVER_MODULES[kind]).Server)(http, { allowEIO3: true, ...options })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  t.teardown(() => new Promise<void>((resolve) => {
    io.close()
    http.close(() => resolve())
    http.closeAllConnections?.()
  }))
  return { io, http, url: `http://127.0.0.1:${port}` }
}

/**
 * A socket.io-client 3.x or 4.x socket for `url + nsp` (4.8 unless told otherwise); no reconnection,
 * websocket only unless told otherwise. The 3.x and 4.0 clients are typed as the 4.8 one.
 */
export function clientV4(t: Teardown, url: string, options: Record<string, unknown> = {}, kind: ModernClientKind = '4'): ClientSocket {
  const connect = kind === '4' ? connectV4 : (require(CLIENT_MODULES[kind]).io as typeof connectV4)
  const socket = connect(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...options })
  t.teardown(() => { socket.close() })
  return socket
}

/** A socket.io-client 2.x socket (2.5 unless told otherwise) for `url` (which includes the namespace). */
export function clientV2(t: Teardown, url: string, options: Record<string, unknown> = {}, kind: LegacyClientKind = '2'): LegacyClientSocket {
  const connect = require(CLIENT_MODULES[kind]) as (url: string, options?: object) => LegacyClientSocket
  const socket = connect(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...options })
  t.teardown(() => { socket.close() })
  return socket
}

/** Either generation of client socket, as far as the version-spanning tests use it. */
export type AnyClientSocket = LegacyClientSocket | ClientSocket

/**
 * A client of any kind for `url` (which includes the namespace). `query` goes into the handshake
 * query for every kind; `auth` is the CONNECT payload of 3.x/4.x clients, and socket.io-client 2.x,
 * which has none, sends it as its CONNECT query (which 3.1+ servers hand over as `handshake.auth`).
 */
export function client(
  t: Teardown,
  kind: ClientKind,
  url: string,
  { query, auth, ...options }: { query?: Record<string, string>; auth?: Record<string, string>; [option: string]: unknown } = {},
): AnyClientSocket {
  if (isLegacyClient(kind)) return clientV2(t, url, { ...options, query: { ...query, ...auth } }, kind)
  return clientV4(t, url, { ...options, ...(query && { query }), ...(auth && { auth }) }, kind)
}

/**
 * The error a client of `kind` gets when its CONNECT is refused, as `{ message, data }`: socket.io-client
 * 2.x gets `err.data` alone on an `error` event (or the message string when there is no data),
 * 3.x/4.x get `connect_error`.
 */
export async function refusal(kind: ClientKind, socket: AnyClientSocket, ms = 3000): Promise<{ message: string; data?: any }> {
  if (!isLegacyClient(kind)) {
    const [err] = await once(socket, 'connect_error', ms)
    return { message: err.message, data: err.data }
  }
  const [data] = await once(socket, 'error', ms)
  return typeof data === 'string' ? { message: data } : { message: data.message, data }
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

/** A promise and the function that resolves it, for a step the test releases itself. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((settle) => { resolve = settle })
  return { promise, resolve }
}

/**
 * Makes every socket of `nsp` answer an `echo` with its ack, so that `roundTrip` can prove a connection
 * still works: a server sends in order on one connection, so whatever it sent before the ack (a
 * disconnect, a stray event) has reached the client by the time the ack does.
 */
export function answerEcho(nsp: { on(event: 'connection', listener: (socket: any) => void): unknown }): void {
  nsp.on('connection', (socket) => socket.on('echo', (ack: () => void) => ack()))
}

/** Emits an `echo` (see `answerEcho`) and resolves when its ack comes back, or rejects after `ms`. */
export function roundTrip(socket: { emit(event: string, ...args: any[]): unknown }, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo after ${ms} ms`)), ms)
    socket.emit('echo', () => { clearTimeout(timer); resolve() })
  })
}

/** Resolves as `promise` does, or rejects after `ms` with `what`: a bound on failure counted from now. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting until ${what}`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
