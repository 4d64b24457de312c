// A raw engine.io websocket client speaking the socket.io protocol by hand: what a hostile client sends,
// with nothing a client library would add or refuse. EIO=4 is the v4/v5 protocol, EIO=3 the v2/v3 one.
import WebSocket from 'ws'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RawOptions {
  eio?: 3 | 4
  /** The source address (127.0.0.2 and up stand in for other client sources). */
  localAddress?: string
  headers?: Record<string, string>
}

/** The outcome of one CONNECT: 'connected', or the code (or message) of the refusal. */
export type Outcome = string

export interface RawClient {
  readonly socket: WebSocket
  /** Sends a CONNECT for `nsp` (with `auth` on EIO=4); resolves with its outcome. */
  connect(nsp: string, auth?: object): Promise<Outcome>
  /** Sends CONNECTs for every name at once (one frame each); resolves with their outcomes in order. */
  connectAll(names: readonly string[]): Promise<Outcome[]>
  /** Sends a socket.io EVENT to `nsp`. */
  emit(nsp: string, ...args: unknown[]): void
  /** Resolves with the arguments of the next EVENT `event` received on `nsp`. */
  next(nsp: string, event: string): Promise<unknown[]>
  /** Sends a DISCONNECT for `nsp`. */
  leave(nsp: string): void
  close(): Promise<void>
}

/** Opens a raw websocket to a socket.io server at `url` (http://host:port). */
export async function rawClient(t: Teardown, url: string, options: RawOptions = {}): Promise<RawClient> {
  const eio = options.eio ?? 4
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=${eio}&transport=websocket`, {
    localAddress: options.localAddress,
    headers: options.headers,
  })
  const waiting = new Map<string, ((outcome: Outcome) => void)[]>()
  const events: { nsp: string; event: string; resolve: (args: unknown[]) => void }[] = []
  const settle = (nsp: string, outcome: Outcome) => waiting.get(nsp)?.shift()?.(outcome)
  socket.on('message', (raw) => {
    const frame = raw.toString()
    if (frame === '2') return socket.send('3') // EIO=4 ping from the server
    if (frame[0] !== '4') return
    const packet = frame.slice(1)
    const comma = packet.indexOf(',')
    const nsp = packet[1] === '/' ? packet.slice(1, comma === -1 ? undefined : comma) : '/'
    const body = comma === -1 || packet[1] !== '/' ? packet.slice(1) : packet.slice(comma + 1)
    if (packet[0] === '0') settle(nsp, 'connected')
    else if (packet[0] === '4') {
      const error = JSON.parse(body) as { code?: string; message?: string; data?: { code?: string } } | string
      settle(nsp, typeof error === 'string' ? error : error.data?.code ?? error.code ?? error.message ?? 'error')
    } else if (packet[0] === '2') {
      const [event, ...args] = JSON.parse(body.replace(/^\d+/, '')) as [string, ...unknown[]]
      const index = events.findIndex((e) => e.nsp === nsp && e.event === event)
      if (index !== -1) events.splice(index, 1)[0]!.resolve(args)
    }
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  // EIO=3 clients ping the server themselves; the tests are far shorter than its ping timeout.
  const close = () => new Promise<void>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve()
    socket.once('close', () => resolve())
    socket.close()
  })
  t.teardown(close)
  const outcome = (nsp: string) => new Promise<Outcome>((resolve) => {
    const list = waiting.get(nsp) ?? []
    list.push(resolve)
    waiting.set(nsp, list)
  })
  const send = (nsp: string, auth?: object) => socket.send(`40${nsp},${eio === 4 && auth ? JSON.stringify(auth) : ''}`)
  return {
    socket,
    connect(nsp, auth) {
      const result = outcome(nsp)
      send(nsp, auth)
      return result
    },
    connectAll(names) {
      const results = names.map(outcome)
      for (const name of names) send(name)
      return Promise.all(results)
    },
    emit(nsp, ...args) {
      socket.send(`42${nsp},${JSON.stringify(args)}`)
    },
    next(nsp, event) {
      return new Promise((resolve) => events.push({ nsp, event, resolve }))
    },
    leave(nsp) {
      socket.send(`41${nsp},`)
    },
    close,
  }
}
