// What socket.io's own test suite checks about namespaces, middleware, connection state recovery and v2
// clients, run twice: on a plain socket.io server, and on one with a router attached whose routes match
// none of the names used. Both must give the same observable result: the router only ever changes what
// it routes.
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { Manager } from 'socket.io-client'
import t, { type Test } from 'tap'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV2, clientV4, namespaceNames, once, startServer, type ServerKind } from './helpers/io.js'

const require = createRequire(import.meta.url)

// No name used below matches these.
const ROUTES = { room: '/routed/:id', legacy: /^\/legacy-(\d+)$/ }

type Variant = 'plain' | 'router'
type Gen = 'v4' | 'v2'

const V4_SERVERS: ServerKind[] = ['4.6', '4']
const ALL_SERVERS: ServerKind[] = ['2', '4.6', '4']

interface ClientOptions extends Record<string, unknown> {
  /** The v4 auth payload, or the v2 CONNECT query. */
  auth?: Record<string, string>
}

interface Env {
  io: any
  url: string
  kind: ServerKind
  gen: Gen
  t: Test
  client(nsp: string, options?: ClientOptions): any
}

interface Setup {
  /** Server options (socket.io 4 servers get `allowEIO3: true` unless told otherwise). */
  options?: object
  /** App code run before the router is attached. */
  before?(io: any): void
  /** App code run after the router is attached. */
  after?(io: any): void
  /** Create the server without an HTTP server, and attach one after the router and the app. */
  detached?: boolean
  /** Close the router before the app's code runs: what is left must be plain socket.io. */
  closeRouter?: boolean
}

type Outcome = { connected: true } | { error: unknown } | { hung: true }

async function serve(t: Test, variant: Variant, kind: ServerKind, gen: Gen, setup: Setup): Promise<Env> {
  const { io, url, attach } = setup.detached ? await startDetached(t, kind, setup.options) : { ...(await startServer(t, kind, setup.options)), attach: undefined }
  setup.before?.(io)
  if (variant === 'router') {
    const router = createNamespaceRouter(io, { routes: ROUTES })
    t.teardown(() => router.close())
    if (setup.closeRouter) await router.close()
  }
  setup.after?.(io)
  attach?.()
  const client = (nsp: string, options: ClientOptions = {}) => {
    const { auth, ...rest } = options
    if (gen === 'v4') return clientV4(t, url + nsp, { ...(auth ? { auth } : {}), ...rest })
    return clientV2(t, url + nsp, { ...(auth ? { query: auth } : {}), ...rest })
  }
  return { io, url, kind, gen, t, client }
}

/** A server made without an HTTP server (`new Server()`), and the function that attaches its HTTP server. */
async function startDetached(t: Test, kind: ServerKind, options: object = {}) {
  const http = createServer()
  const io = kind === '2' ? require('socket.io-v2')(options) : new (kind === '4' ? Server : require(`socket.io-${kind}`).Server)({ allowEIO3: true, ...options })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    io.close()
    http.close(() => resolve())
    http.closeAllConnections()
  }))
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, attach: () => io.attach(http) }
}

/** Runs `run` on a plain server and on a router-attached one; a throw is an observation too. */
async function both<O>(t: Test, kind: ServerKind, gen: Gen, setup: Setup, run: (env: Env) => Promise<O>) {
  const observe = async (variant: Variant): Promise<O | { threw: string }> => {
    try {
      return await run(await serve(t, variant, kind, gen, setup))
    } catch (error) {
      return { threw: error instanceof Error ? error.message : String(error) }
    }
  }
  const plain = await observe('plain')
  const routed = await observe('router')
  return { plain, routed }
}

interface Case<O> {
  kinds: ServerKind[]
  /** Default: v2 clients on socket.io 2.x, v4 and v2 clients on 4.x. */
  gens?: Gen[]
  setup?: Setup
  /** What plain socket.io does (so a case cannot pass by both servers being broken the same way). */
  expected(kind: ServerKind, gen: Gen): unknown
  run(env: Env): Promise<O>
}

const gensOf = (kind: ServerKind, gens: Gen[] = ['v4', 'v2']): Gen[] => (kind === '2' ? gens.filter((gen) => gen === 'v2') : gens)
const label = (kind: ServerKind, gen: Gen) => `socket.io ${kind === '4' ? '4.8' : kind === '2' ? '2.5' : kind}, client ${gen}`

function parity<O>(name: string, c: Case<O>): void {
  for (const kind of c.kinds) {
    for (const gen of gensOf(kind, c.gens)) {
      t.test(`${name} [${label(kind, gen)}]`, async (t) => {
        const { plain, routed } = await both(t, kind, gen, c.setup ?? {}, c.run)
        t.same(plain, c.expected(kind, gen), 'plain socket.io does what its own suite checks')
        t.same(routed, plain, 'a server with a router attached does the same')
      })
    }
  }
}

/** The client's first outcome: connected, refused (with what it was told), or nothing within `ms`. */
function settle(socket: any, ms = 3000): Promise<Outcome> {
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer)
      resolve(outcome)
    }
    const timer = setTimeout(() => done({ hung: true }), ms)
    socket.once('connect', () => done({ connected: true }))
    socket.once('connect_error', (err: any) => done({ error: errorShape(err) }))
    socket.once('error', (payload: unknown) => done({ error: errorShape(payload) }))
  })
}

function errorShape(err: any): unknown {
  if (!(err instanceof Error)) return err
  const shape: Record<string, unknown> = { message: err.message }
  if ((err as { data?: unknown }).data !== undefined) shape.data = (err as { data?: unknown }).data
  return shape
}

const CONNECTED: Outcome = { connected: true }

/** The sockets of a namespace on either generation. */
const socketsOf = (nsp: any): any[] => (nsp.sockets instanceof Map ? [...nsp.sockets.values()] : Object.values(nsp.sockets))
const roomsOf = (socket: any): string[] => (socket.rooms instanceof Set ? [...socket.rooms] : Object.keys(socket.rooms))
const roomCount = (nsp: any): number => (nsp.adapter.rooms instanceof Map ? nsp.adapter.rooms.size : Object.keys(nsp.adapter.rooms).length)
const middlewareOf = (nsp: any): unknown[] => nsp._fns ?? nsp.fns

/** Records the names in `new_namespace` events (socket.io 3+; 2.x has no such event). */
function newNamespaces(io: any): string[] {
  const names: string[] = []
  io.on('new_namespace', (namespace: any) => names.push(namespace.name))
  return names
}

// ---------------------------------------------------------------------------------------------------
// Namespaces

parity('/ connects by itself and fires `connection` and `connect` with a Socket of /', {
  kinds: ALL_SERVERS,
  expected: () => ({ outcome: CONNECTED, events: ['connect', 'connection'], nsp: '/', sameId: true, listed: true }),
  async run({ io, client }) {
    const events: string[] = []
    io.on('connect', () => events.push('connect'))
    const connection = once(io, 'connection')
    const socket = client('/')
    const outcome = await settle(socket)
    const [server] = await connection
    events.push('connection')
    return { outcome, events: events.sort(), nsp: server.nsp.name, sameId: server.id === socket.id, listed: socketsOf(io.sockets).includes(server) }
  },
})

parity('static namespaces: io.of(name), io.of(name, fn) twice, "" and "abc" spellings', {
  kinds: ALL_SERVERS,
  expected: (kind) => ({
    chat: CONNECTED,
    news: CONNECTED,
    newsListeners: 2,
    rootSpellings: true,
    abc: { name: '/abc', same: true, outcome: CONNECTED, connections: 1 },
    names: ['/', '/abc', '/chat', '/news'],
    created: kind === '2' ? [] : ['/chat', '/news', '/abc'],
  }),
  async run({ io, client }) {
    const created = newNamespaces(io)
    io.of('/chat')
    let newsListeners = 0
    io.of('/news', () => newsListeners++)
    io.of('news', () => newsListeners++)
    const rootSpellings = io.of('') === io.sockets && io.of('/') === io.sockets
    const abc = io.of('abc')
    let connections = 0
    abc.on('connection', () => connections++)
    const chat = client('/chat')
    const news = client('/news')
    const pair = await Promise.all([settle(chat), settle(news)])
    const connection = once(abc, 'connection')
    const abcOutcome = await settle(client('/abc'))
    await connection
    return {
      chat: pair[0],
      news: pair[1],
      newsListeners,
      rootSpellings,
      abc: { name: abc.name, same: io.of('/abc') === abc, outcome: abcOutcome, connections },
      names: namespaceNames(io).sort(),
      created,
    }
  },
})

parity('io.of(name) for an unrouted name: one namespace, one new_namespace, listed sockets', {
  kinds: ALL_SERVERS,
  expected: (kind) => ({ same: true, created: kind === '2' ? [] : ['/nsp', '/other'], all: [true, true, false], inRoom: [false, true] }),
  async run({ io, client }) {
    const created = newNamespaces(io)
    const nsp = io.of('/nsp')
    const same = io.of('/nsp') === nsp && io.of('nsp') === nsp
    const ids: string[] = []
    nsp.on('connection', (socket: any) => {
      ids.push(socket.id)
      if (ids.length === 2) socket.join('foo')
    })
    const other = io.of('/other')
    const otherConnection = once(other, 'connection')
    await Promise.all([settle(client('/nsp')), settle(client('/nsp')), settle(client('/other'))])
    const [otherSocket] = await otherConnection
    const list = async (target: any): Promise<string[]> =>
      target.allSockets ? [...(await target.allSockets())] : new Promise((resolve) => target.clients((_e: unknown, found: string[]) => resolve(found)))
    const inNsp = await list(nsp)
    const inFoo = await list(nsp.in('foo'))
    return {
      same,
      created,
      all: [...ids.map((id) => inNsp.includes(id)), inNsp.includes(otherSocket.id)],
      inRoom: ids.map((id) => inFoo.includes(id)),
    }
  },
})

// ---------------------------------------------------------------------------------------------------
// Middleware

parity('/ middleware, sync then async: runs in order, before `connection`, with the socket not connected yet', {
  kinds: ALL_SERVERS,
  expected: () => ({ outcome: CONNECTED, order: ['sync', 'async'], during: { connected: false, listed: 0 }, after: { connected: true, listed: 1, marked: 'set in middleware' } }),
  setup: {
    after(io) {
      io.use((socket: any, next: () => void) => {
        socket.order = ['sync']
        socket.during = { connected: socket.connected, listed: socketsOf(io.sockets).length }
        next()
      })
      io.use((socket: any, next: () => void) => {
        setImmediate(() => {
          socket.order.push('async')
          socket.marked = 'set in middleware'
          next()
        })
      })
    },
  },
  async run({ io, client }) {
    const connection = once(io, 'connection')
    const outcome = await settle(client('/'))
    const [socket] = await connection
    return { outcome, order: socket.order, during: socket.during, after: { connected: socket.connected, listed: socketsOf(io.sockets).length, marked: socket.marked } }
  },
})

parity('/ middleware errors, sync and async: message and data reach the client, later middleware and rooms are skipped', {
  kinds: ALL_SERVERS,
  expected: (_kind, gen) => {
    // v4 clients get { message, data }; v2 clients get `data` when there is one, else the message.
    const told = (message: string, data: unknown) => (gen === 'v4' ? { message, data } : data)
    return {
      sync: { error: told('Authentication error', { a: 'b', c: 3 }) },
      async: { error: gen === 'v4' ? { message: 'Async refusal' } : 'Async refusal' },
      laterMiddleware: 0,
      connections: 0,
      rooms: 0,
    }
  },
  setup: {
    after(io) {
      io.use((socket: any, next: (err?: Error) => void) => {
        socket.join('joined-before-refusal')
        const mode = socket.handshake.auth?.mode ?? socket.handshake.query.mode
        if (mode === 'sync') return next(Object.assign(new Error('Authentication error'), { data: { a: 'b', c: 3 } }))
        setImmediate(() => next(new Error('Async refusal')))
      })
      io.use((_socket: any, next: () => void) => {
        io.laterMiddleware = (io.laterMiddleware ?? 0) + 1
        next()
      })
    },
  },
  async run({ io, gen, client }) {
    let connections = 0
    io.on('connection', () => connections++)
    // A v2 client has no per-socket query on /: its Manager's handshake query carries the mode.
    const options = (mode: string) => (gen === 'v4' ? { auth: { mode } } : { query: { mode } })
    const [sync, asyncOutcome] = await Promise.all([settle(client('/', options('sync'))), settle(client('/', options('async')))])
    return { sync, async: asyncOutcome, laterMiddleware: io.laterMiddleware ?? 0, connections, rooms: roomCount(io.sockets) }
  },
})

parity('static namespace middleware: async chain in order, / middleware only for v2 clients, errors with data', {
  kinds: ALL_SERVERS,
  expected: (_kind, gen) => ({
    admitted: CONNECTED,
    order: gen === 'v2' ? ['root', 1, 2, 3] : [1, 2, 3],
    refused: { error: gen === 'v4' ? { message: 'not in /chat', data: { reason: 'denied' } } : { reason: 'denied' } },
    root: CONNECTED,
  }),
  setup: {
    after(io) {
      io.order = []
      io.use((_socket: any, next: () => void) => {
        io.order.push('root')
        next()
      })
      const chat = io.of('/chat')
      for (const step of [1, 2, 3]) {
        chat.use((socket: any, next: (err?: Error) => void) => {
          const deny = (socket.handshake.auth?.deny ?? socket.handshake.query.deny) === 'yes'
          if (!deny) io.order.push(step)
          if (deny && step === 2) return next(Object.assign(new Error('not in /chat'), { data: { reason: 'denied' } }))
          setTimeout(next, 5)
        })
      }
    },
  },
  async run({ io, client }) {
    const admitted = await settle(client('/chat'))
    const order = [...io.order]
    const refused = await settle(client('/chat', { auth: { deny: 'yes' } }))
    const root = await settle(client('/'))
    return { admitted, order, refused, root }
  },
})

// ---------------------------------------------------------------------------------------------------
// Names nobody serves

/** What a refused client was told: socket.io's message, and the router's code when it answered. */
function refusalOf(outcome: Outcome): { message?: unknown; code?: unknown } | Outcome {
  if (!('error' in outcome)) return outcome
  const error = outcome.error as any
  if (typeof error === 'string') return { message: error, code: undefined }
  return { message: error?.message ?? error?.data?.message, code: error?.data?.code ?? error?.code }
}

const APP_PARENTS = (io: any) => {
  io.of(/^\/dynamic-\d+$/)
  io.of((name: string, _auth: unknown, next: (err: Error | null, ok: boolean) => void) => next(null, name === '/dynamic-101'))
}

for (const parents of ['no', 'before', 'after'] as const) {
  // The router answers last when no parent of the app's comes after it; then it adds its code.
  const routerAnswers = parents !== 'after'
  for (const kind of ALL_SERVERS) {
    for (const gen of gensOf(kind)) {
      t.test(`an unknown namespace is refused with socket.io's message, "Invalid namespace", and the router's code in err.data.code (app parents: ${parents}) [${label(kind, gen)}]`, async (t) => {
        const setup: Setup = parents === 'no' ? {} : { [parents]: APP_PARENTS }
        const { plain, routed } = await both(t, kind, gen, setup, async ({ io, client }) => {
          const created = newNamespaces(io)
          const names = namespaceNames(io).sort()
          const unrouted = refusalOf(await settle(client('/doesnotexist')))
          const invalid = refusalOf(await settle(client('/bad%20name')))
          return { unrouted, invalid, created, registered: namespaceNames(io).sort(), before: names }
        })
        const p = plain as any
        const r = routed as any
        t.same(p.unrouted, { message: 'Invalid namespace', code: undefined }, 'plain: Invalid namespace')
        t.same(p.invalid, { message: 'Invalid namespace', code: undefined }, 'plain: Invalid namespace for a name socket.io would not route either')
        t.equal(r.unrouted?.message, p.unrouted?.message, 'router: the same message for an unrouted name')
        t.equal(r.invalid?.message, p.invalid?.message, 'router: the same message for a name the router calls invalid')
        t.equal(r.unrouted?.code, routerAnswers ? 'NS_NO_ROUTE' : undefined, 'router: its code in err.data.code when it answered')
        t.equal(r.invalid?.code, routerAnswers ? 'NS_INVALID_NAME' : undefined, 'router: its code in err.data.code when it answered')
        t.same(r.created, p.created, 'no new_namespace for a refused name')
        t.same(r.registered, r.before, 'nothing registered for a refused name')
        t.same(r.registered, p.registered)
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Parent namespaces of the app's own: io.of(regex), io.of(fn)

const regexParent = (io: any) => {
  const parent = io.of(/^\/dynamic-\d+$/)
  io.dyn = { parent, used: 0, connected: [] as string[] }
  parent.use((_socket: any, next: () => void) => {
    io.dyn.used++
    next()
  })
  parent.on('connect', (socket: any) => {
    io.dyn.connected.push(socket.nsp.name)
    socket.join('some-room')
    parent.emit('hello', 1, '2', { 3: '4' })
    parent.to('some-room').emit('room', 4, '3')
  })
}

for (const order of ['before', 'after'] as const) {
  parity(`io.of(regex) registered ${order} the router: children, their middleware and listeners, emits, new_namespace, io.of(child)`, {
    kinds: ALL_SERVERS,
    setup: { [order]: regexParent },
    expected: (kind) => ({
      outcome: CONNECTED,
      used: 1,
      connected: ['/dynamic-101'],
      hello: [1, '2', { 3: '4' }],
      room: [4, '3'],
      created: kind === '2' ? [] : ['/dynamic-101', '/dynamic-102'],
      child: true,
      // socket.io 4.6.1 attaches io.of(name) to a matching regex parent (socket.io#4164); 2.x does not.
      manualChild: kind !== '2',
      manualUsed: kind === '2' ? 0 : 1,
    }),
    async run({ io, client }) {
      const created = newNamespaces(io)
      const socket = client('/dynamic-101')
      const hello = once(socket, 'hello')
      const room = once(socket, 'room')
      const outcome = await settle(socket)
      const args = await Promise.all([hello, room])
      const manual = io.of('/dynamic-102')
      return {
        outcome,
        used: io.dyn.used,
        connected: io.dyn.connected,
        hello: args[0],
        room: args[1],
        created,
        child: io.dyn.parent.children.has(io.of('/dynamic-101')),
        manualChild: io.dyn.parent.children.has(manual),
        manualUsed: middlewareOf(manual).length,
      }
    },
  })

  parity(`io.of(fn) registered ${order} the router: the function sees the name and auth, its children connect`, {
    kinds: ALL_SERVERS,
    setup: {
      [order]: (io: any) => {
        io.asked = []
        const parent = io.of((name: string, auth: unknown, next: (err: Error | null, ok: boolean) => void) => {
          io.asked.push([name, auth])
          next(null, name.startsWith('/fn-'))
        })
        parent.on('connection', (socket: any) => socket.emit('welcome', socket.nsp.name))
      },
    },
    expected: () => ({ outcome: CONNECTED, welcome: ['/fn-101'], asked: [['/fn-101', { token: 't' }]] }),
    async run({ io, client }) {
      const socket = client('/fn-101', { auth: { token: 't' } })
      const welcome = once(socket, 'welcome')
      const outcome = await settle(socket)
      return { outcome, welcome: await welcome, asked: io.asked }
    },
  })

  parity(`io.of(fn) registered ${order} the router, two clients racing into one child: created once (socket.io#4136)`, {
    kinds: ALL_SERVERS,
    setup: {
      [order]: (io: any) => {
        const buffered: ((err: null, ok: boolean) => void)[] = []
        io.race = { connected: 0 }
        io.race.parent = io.of((_name: string, _auth: unknown, next: (err: null, ok: boolean) => void) => {
          buffered.push(next)
          if (buffered.length === 2) for (const pending of buffered) pending(null, true)
        })
        io.race.parent.on('connection', () => {
          if (++io.race.connected === 2) io.of('/dynamic-101').emit('message')
        })
      },
    },
    expected: (kind) => ({ outcomes: [CONNECTED, CONNECTED], heard: 2, children: 1, created: kind === '2' ? [] : ['/dynamic-101'] }),
    async run({ io, client }) {
      const created = newNamespaces(io)
      const one = client('/dynamic-101')
      const two = client('/dynamic-101')
      const heard = Promise.all([once(one, 'message'), once(two, 'message')])
      const outcomes = await Promise.all([settle(one), settle(two)])
      return { outcomes, heard: (await heard).length, children: io.race.parent.children.size, created }
    },
  })
}

// ---------------------------------------------------------------------------------------------------
// cleanupEmptyChildNamespaces (socket.io 4.6+) for the app's own parents

parity("cleanupEmptyChildNamespaces: the app's empty children go, static namespaces stay, a refused creator leaves nothing", {
  kinds: V4_SERVERS,
  setup: {
    options: { cleanupEmptyChildNamespaces: true },
    after(io) {
      io.of('/chat').on('connection', (socket: any) => (io.last = socket))
      const parent = io.of(/^\/dynamic-\d+$/)
      parent.use((socket: any, next: (err?: Error) => void) => next((socket.handshake.auth?.deny) ? new Error('You shall not pass!') : undefined))
      parent.on('connection', (socket: any) => (io.last = socket))
    },
  },
  expected: (kind) => ({
    first: CONNECTED,
    removed: true,
    again: CONNECTED,
    fresh: true,
    chat: { kept: true, sockets: 0 },
    // Removing a child whose only socket was refused in middleware came after 4.6.
    refusedCreator: { refused: true, registered: kind === '4.6' },
    refusedJoiner: { refused: true, registered: true, sockets: 1 },
  }),
  async run({ io, client }) {
    const leave = async (socket: any) => {
      const gone = once(io.last, 'disconnect')
      socket.disconnect()
      await gone
    }
    const first = client('/dynamic-101')
    const firstOutcome = await settle(first)
    const firstNamespace = io.last.nsp
    await leave(first)
    const removed = !namespaceNames(io).includes('/dynamic-101')
    const again = await settle(client('/dynamic-101'))
    const fresh = io.of('/dynamic-101') !== firstNamespace
    const chat = client('/chat')
    await settle(chat)
    await leave(chat)
    const refused = await settle(client('/dynamic-202', { auth: { deny: 'yes' } }))
    const registered202 = namespaceNames(io).includes('/dynamic-202')
    await settle(client('/dynamic-303'))
    const joiner = await settle(client('/dynamic-303', { auth: { deny: 'yes' } }))
    return {
      first: firstOutcome,
      removed,
      again,
      fresh,
      chat: { kept: namespaceNames(io).includes('/chat'), sockets: socketsOf(io.of('/chat')).length },
      refusedCreator: { refused: 'error' in refused, registered: registered202 },
      refusedJoiner: { refused: 'error' in joiner, registered: namespaceNames(io).includes('/dynamic-303'), sockets: socketsOf(io._nsps.get('/dynamic-303') ?? { sockets: new Map() }).length },
    }
  },
})

// ---------------------------------------------------------------------------------------------------
// Connection state recovery (socket.io 4.6+), for /, a static namespace and a child of the app's parent

const RECOVERED_NAMES = ['/', '/chat', '/dynamic-101']

function recoverySetup(options: object): Setup {
  return {
    options: { connectionStateRecovery: options },
    after(io) {
      io.runs = {} as Record<string, number>
      io.seen = {} as Record<string, any[]>
      const watch = (target: any) => {
        target.use((socket: any, next: () => void) => {
          io.runs[socket.nsp.name] = (io.runs[socket.nsp.name] ?? 0) + 1
          next()
        })
        target.on('connection', (socket: any) => {
          ;(io.seen[socket.nsp.name] ??= []).push(socket)
          if (socket.recovered) return
          socket.join('r1')
          socket.data.foo = 'bar'
        })
      }
      watch(io.sockets)
      watch(io.of('/chat'))
      watch(io.of(/^\/dynamic-\d+$/))
    },
  }
}

/** Breaks a connected client's transport, broadcasts what it misses, and brings it back. */
async function breakAndRecover({ io, client }: Env, name: string) {
  const socket = client(name)
  const outcome = await settle(socket)
  const [first] = io.seen[name]
  // A client asks for recovery from the offset of the last packet it got: give it one.
  const primed = once(socket, 'primer')
  io.of(name).emit('primer')
  await primed
  const gone = once(first, 'disconnect')
  socket.io.engine.close()
  const [reason] = await gone
  io.of(name).emit('missed', 'broadcast')
  io.of(name).to('r1').emit('missed', 'room')
  io.of(name).to(first.id).emit('missed', 'direct')
  const missed: string[] = []
  socket.on('missed', (what: string) => missed.push(what))
  socket.connect()
  const back = await settle(socket)
  const second = io.seen[name][1]
  return {
    outcome,
    reason,
    back,
    recovered: socket.recovered,
    sameId: socket.id === first.id,
    server: second && {
      recovered: second.recovered,
      rooms: roomsOf(second).map((room) => (room === second.id ? '<own id>' : room)).sort(),
      data: second.data,
    },
    // Missed packets arrive before the CONNECT that ends a recovery.
    missed,
    middlewareRuns: io.runs[io.of(name).name],
  }
}

for (const skipMiddlewares of [true, false]) {
  parity(`connection state recovery (skipMiddlewares: ${skipMiddlewares}): id, rooms, data and missed packets come back`, {
    kinds: V4_SERVERS,
    gens: ['v4'],
    setup: recoverySetup({ skipMiddlewares }),
    expected: () =>
      Object.fromEntries(
        RECOVERED_NAMES.map((name) => [
          name,
          {
            outcome: CONNECTED,
            reason: 'transport close',
            back: CONNECTED,
            recovered: true,
            sameId: true,
            server: { recovered: true, rooms: ['<own id>', 'r1'], data: { foo: 'bar' } },
            missed: ['broadcast', 'room', 'direct'],
            middlewareRuns: skipMiddlewares ? 1 : 2,
          },
        ]),
      ),
    async run(env) {
      const observed: Record<string, unknown> = {}
      for (const name of RECOVERED_NAMES) observed[name] = await breakAndRecover(env, name)
      return observed
    },
  })
}

parity('connection state recovery: an unknown session gets a fresh socket', {
  kinds: V4_SERVERS,
  gens: ['v4'],
  setup: recoverySetup({}),
  expected: () => ({ outcome: CONNECTED, recovered: false, freshId: true, rooms: ['<own id>', 'r1'] }),
  async run({ io, client }) {
    const socket = client('/chat', { auth: { pid: 'foo', offset: 'bar' } })
    const outcome = await settle(socket)
    const [server] = io.seen['/chat']
    return { outcome, recovered: server.recovered, freshId: server.id !== 'foo' && socket.id === server.id, rooms: roomsOf(server).map((room) => (room === server.id ? '<own id>' : room)).sort() }
  },
})

// ---------------------------------------------------------------------------------------------------
// socket.io-client 2.x

parity('v2 client: a per-socket query on a custom namespace (handshake.auth on 4.x, handshake.query on 2.x)', {
  kinds: ALL_SERVERS,
  gens: ['v2'],
  setup: { after: (io) => io.of('/the-namespace').on('connection', (socket: any) => (io.last = socket)) },
  expected: (kind) => ({ outcome: CONNECTED, auth: kind === '2' ? undefined : { test: '123' }, queryTest: kind === '2' ? '123' : undefined }),
  async run({ io, client }) {
    const socket = client('/the-namespace')
    // The socket's own query, sent in its CONNECT only (not in the engine.io handshake).
    socket.query = { test: '123' }
    const outcome = await settle(socket)
    return { outcome, auth: io.last.handshake.auth, queryTest: io.last.handshake.query.test }
  },
})

parity('v2 client refused by a socket.io 4 server without allowEIO3', {
  kinds: V4_SERVERS,
  gens: ['v2'],
  setup: { options: { allowEIO3: false } },
  expected: () => ({ connected: false, connections: 0 }),
  async run({ io, client }) {
    let connections = 0
    io.on('connection', () => connections++)
    const outcome = await settle(client('/'))
    return { connected: 'connected' in outcome, connections }
  },
})

parity('one Manager multiplexing /, /chat and /news: one engine.io connection, each namespace its own broadcasts', {
  kinds: ALL_SERVERS,
  setup: {
    after(io) {
      io.of('/chat')
      io.of('/news')
    },
  },
  expected: () => ({ outcomes: [CONNECTED, CONNECTED, CONNECTED], connections: 1, chat: ['for chat'], news: ['for news'] }),
  async run({ io, t, client }) {
    const root = client('/')
    const chat = root.io.socket('/chat')
    const news = root.io.socket('/news')
    t.teardown(() => {
      chat.close()
      news.close()
    })
    const outcomes = await Promise.all([settle(root), settle(chat), settle(news)])
    const heard: Record<string, string[]> = { chat: [], news: [], root: [] }
    root.on('topic', (text: string) => heard.root?.push(text))
    chat.on('topic', (text: string) => heard.chat?.push(text))
    const newsHeard = once(news, 'topic')
    io.of('/chat').emit('topic', 'for chat')
    io.of('/news').emit('topic', 'for news')
    // Packets of one connection arrive in order: once /news has its own, /chat had its.
    heard.news = await newsHeard
    return { outcomes, connections: io.engine.clientsCount, chat: heard.chat, news: heard.news, ...(heard.root?.length ? { root: heard.root } : {}) }
  },
})

// Names socket.io serves as they are, though the router would not route them (":" and "+" are outside
// its characters): a static namespace, or a child of a parent the app registered before the router, is
// the app's, whatever its name.
parity('names the router would call invalid (/room:1, /a+b): static namespaces and children of an earlier app parent are joined as on plain socket.io', {
  kinds: ALL_SERVERS,
  setup: {
    before(io) {
      io.of(/^\/room:\d+$/)
    },
    after(io) {
      io.of('/room:1')
      io.of('/a+b')
    },
  },
  expected: () => ({ colon: CONNECTED, plus: CONNECTED, child: CONNECTED }),
  async run({ client }) {
    const [colon, plus, child] = await Promise.all([settle(client('/room:1')), settle(client('/a+b')), settle(client('/room:2'))])
    return { colon, plus, child }
  },
})

// ---------------------------------------------------------------------------------------------------
// Disconnections and io.close()

const STATIC_NAMES = ['/', '/chat', '/foo', '/bar']
const watchStatic: Setup = {
  after(io) {
    io.seen = {} as Record<string, any>
    for (const name of STATIC_NAMES) io.of(name).on('connection', (socket: any) => (io.seen[name] = socket))
  },
}

/** Resolves with the reason of the next `disconnect` of each of `sockets`. */
const reasons = (sockets: any[]): Promise<unknown[]> => Promise.all(sockets.map(async (socket) => (await once(socket, 'disconnect'))[0]))

parity('disconnect reasons: server side, client side, disconnect(true) on a multiplexed connection, transport close', {
  kinds: ALL_SERVERS,
  setup: watchStatic,
  expected: () => ({
    byServer: { client: 'io server disconnect', server: 'server namespace disconnect' },
    byClient: { server: 'client namespace disconnect', client: 'io client disconnect' },
    wholeConnection: {
      client: ['io server disconnect', 'io server disconnect', 'io server disconnect'],
      server: ['server namespace disconnect', 'server namespace disconnect', 'server namespace disconnect'],
    },
    transport: { server: 'transport close', client: 'forced close' },
    disconnecting: { rooms: ['<own id>', 'a'], afterwards: 0 },
  }),
  async run({ io, t, kind, client }) {
    const connect = async (name: string) => {
      const socket = client(name)
      await settle(socket)
      return [socket, io.seen[name]]
    }
    let [socket, server] = await connect('/chat')
    let pending = reasons([socket, server])
    server.disconnect()
    const [byServerClient, byServerServer] = await pending
    ;[socket, server] = await connect('/chat')
    pending = reasons([server, socket])
    socket.disconnect()
    const [byClientServer, byClientClient] = await pending

    const root = client('/')
    const foo = root.io.socket('/foo')
    const bar = root.io.socket('/bar')
    t.teardown(() => {
      foo.close()
      bar.close()
    })
    await Promise.all([settle(root), settle(foo), settle(bar)])
    const serverSide = ['/', '/foo', '/bar'].map((name) => io.seen[name])
    const whole = Promise.all([reasons([root, foo, bar]), reasons(serverSide)])
    io.seen['/bar'].disconnect(true)
    const [wholeClient, wholeServer] = await whole

    ;[socket, server] = await connect('/chat')
    pending = reasons([server, socket])
    socket.io.engine.close()
    const [transportServer, transportClient] = await pending

    ;[socket, server] = await connect('/chat')
    // socket.io 2.x joins in a callback.
    await (kind === '2' ? new Promise((resolve) => server.join('a', resolve)) : server.join('a'))
    let rooms: string[] = []
    server.once('disconnecting', () => (rooms = roomsOf(server).map((room) => (room === server.id ? '<own id>' : room)).sort()))
    const gone = once(server, 'disconnect')
    server.disconnect()
    await gone
    return {
      byServer: { client: byServerClient, server: byServerServer },
      byClient: { server: byClientServer, client: byClientClient },
      wholeConnection: { client: wholeClient, server: wholeServer },
      transport: { server: transportServer, client: transportClient },
      disconnecting: { rooms, afterwards: roomsOf(server).length },
    }
  },
})

parity('io.close(): every socket of every namespace is disconnected and the HTTP server closes', {
  kinds: ALL_SERVERS,
  setup: {
    after(io) {
      io.seen = {} as Record<string, any>
      for (const name of ['/', '/chat']) io.of(name).on('connection', (socket: any) => (io.seen[name] = socket))
      io.of(/^\/dynamic-\d+$/).on('connection', (socket: any) => (io.seen['/dynamic-101'] = socket))
    },
  },
  expected: (kind) => ({
    outcomes: [CONNECTED, CONNECTED, CONNECTED],
    client: ['transport close', 'transport close', 'transport close'],
    // Before 4.8, only the sockets of / are closed as such (2.x gives no reason); the others go with
    // their engine.io connection.
    server: kind === '4' ? ['server shutting down', 'server shutting down', 'server shutting down'] : [kind === '2' ? undefined : 'server shutting down', 'forced close', 'forced close'],
    closed: true,
    clientsLeft: 0,
  }),
  async run({ io, client }) {
    const names = ['/', '/chat', '/dynamic-101']
    const sockets = names.map((name) => client(name))
    const outcomes = await Promise.all(sockets.map((socket) => settle(socket)))
    const gone = Promise.all([reasons(sockets), reasons(names.map((name) => io.seen[name]))])
    const closed = new Promise<boolean>((resolve) => io.close((err?: Error) => resolve(!err)))
    const [clientReasons, serverReasons] = await gone
    return { outcomes, client: clientReasons, server: serverReasons, closed: await closed, clientsLeft: io.engine.clientsCount }
  },
})

// ---------------------------------------------------------------------------------------------------
// More of what socket.io users rely on

parity('a refused namespace leaves its connection alone: / stays connected and another namespace joins on it', {
  kinds: ALL_SERVERS,
  setup: { after: (io) => io.of('/chat') },
  expected: () => ({ refused: [true, true], chat: CONNECTED, rootConnected: true, rootHears: ['still here'], connections: 1 }),
  async run({ io, t, client }) {
    const root = client('/')
    await settle(root)
    const extra = ['/doesnotexist', '/bad%20name', '/chat'].map((name) => root.io.socket(name))
    t.teardown(() => extra.forEach((socket) => socket.close()))
    const [unknown, invalid, chat] = await Promise.all(extra.map((socket) => settle(socket)))
    const hears = once(root, 'news')
    io.emit('news', 'still here')
    return {
      refused: [unknown, invalid].map((outcome) => outcome !== undefined && 'error' in outcome),
      chat,
      rootConnected: root.connected,
      rootHears: await hears,
      connections: io.engine.clientsCount,
    }
  },
})

parity('async / middleware while a client joins a custom namespace: the namespace gets its socket and its query', {
  kinds: ALL_SERVERS,
  setup: {
    after(io) {
      io.order = []
      io.use((_socket: any, next: () => void) => setTimeout(next, 20))
      io.on('connection', () => io.order.push('/'))
      io.of('/chat').on('connection', (socket: any) => {
        io.order.push('/chat')
        io.last = socket
      })
    },
  },
  // A v2 client always joins / as well: socket.io 2.x holds the namespace CONNECT until / is through,
  // and replays it without its query; socket.io 4.x does neither.
  expected: (kind, gen) => ({ outcome: CONNECTED, order: gen === 'v4' ? ['/chat'] : kind === '2' ? ['/', '/chat'] : ['/chat', '/'], token: kind === '2' ? undefined : 't' }),
  async run({ io, gen, client }) {
    const root = gen === 'v2' ? once(io, 'connection') : undefined
    const socket = client('/chat', gen === 'v4' ? { auth: { token: 't' } } : {})
    // The v2 socket's own query, sent in its CONNECT only (not in the engine.io handshake).
    if (gen === 'v2') socket.query = { token: 't' }
    const outcome = await settle(socket)
    await root
    return { outcome, order: io.order, token: io.last.handshake.auth?.token ?? io.last.handshake.query.token }
  },
})

parity('close and listen again: a reconnecting client is served as before', {
  kinds: ALL_SERVERS,
  gens: ['v4', 'v2'],
  setup: { after: (io) => io.on('connection', (socket: any) => socket.on('ev', (data: string) => io.emit('echo', data))) },
  expected: () => ({ first: CONNECTED, echo: ['payload'] }),
  async run({ io, url, client }) {
    const socket = client('/', { reconnection: true, reconnectionDelay: 10, reconnectionDelayMax: 10, randomizationFactor: 0 })
    const first = await settle(socket)
    const port = Number(new URL(url).port)
    const reconnected = once(socket.io, 'reconnect')
    await new Promise((resolve) => io.close(resolve))
    io.listen(port)
    await reconnected
    const echo = once(socket, 'echo')
    socket.emit('ev', 'payload')
    return { first, echo: await echo }
  },
})

parity('a server made without an HTTP server and attached after the router serves as before', {
  kinds: ALL_SERVERS,
  setup: {
    detached: true,
    after(io) {
      io.of('/chat').on('connection', (socket: any) => socket.emit('welcome', socket.nsp.name))
    },
  },
  expected: () => ({ root: CONNECTED, chat: CONNECTED, welcome: ['/chat'] }),
  async run({ client }) {
    const root = await settle(client('/'))
    const chat = client('/chat')
    const welcome = once(chat, 'welcome')
    return { root, chat: await settle(chat), welcome: await welcome }
  },
})

parity("connection state recovery with cleanupEmptyChildNamespaces: a child of the app's parent that went empty", {
  kinds: V4_SERVERS,
  gens: ['v4'],
  setup: { ...recoverySetup({}), options: { connectionStateRecovery: {}, cleanupEmptyChildNamespaces: true } },
  // The child goes with its last socket, and its sessions with its adapter: the client comes back to a
  // fresh child, unrecovered.
  expected: () => ({
    outcome: CONNECTED,
    reason: 'transport close',
    back: CONNECTED,
    recovered: false,
    sameId: false,
    server: { recovered: false, rooms: ['<own id>', 'r1'], data: { foo: 'bar' } },
    missed: [],
    middlewareRuns: 2,
  }),
  run: (env) => breakAndRecover(env, '/dynamic-101'),
})

parity('connection state recovery on: a stale session for an unknown namespace is refused, and / is unaffected', {
  kinds: V4_SERVERS,
  gens: ['v4'],
  setup: recoverySetup({}),
  expected: () => ({ refused: true, root: CONNECTED, registered: ['/', '/chat'] }),
  async run({ io, client }) {
    const outcome = await settle(client('/doesnotexist', { auth: { pid: 'foo', offset: 'bar' } }))
    const root = await settle(client('/'))
    return { refused: 'error' in outcome, root, registered: namespaceNames(io).sort() }
  },
})

parity('connectTimeout: an engine.io connection that joins no namespace is closed', {
  kinds: V4_SERVERS,
  gens: ['v4'],
  setup: { options: { connectTimeout: 30 } },
  expected: () => ({ reason: 'transport close', connections: 0 }),
  async run({ io, t, url }) {
    // A Manager opened on its own: an engine.io connection, and no CONNECT for any namespace.
    const manager = new Manager(url, { reconnection: false, transports: ['websocket'] })
    t.teardown(() => manager.engine?.close())
    const closed = once(manager, 'close')
    manager.open()
    const [reason] = await closed
    return { reason, connections: io.engine.clientsCount }
  },
})

parity('a middleware that calls next() after its client left lets no socket in', {
  kinds: ALL_SERVERS,
  setup: {
    after(io) {
      io.connections = 0
      io.of('/chat').on('connection', () => io.connections++)
      io.of('/chat').use((socket: any, next: () => void) => {
        socket.conn.once('close', () => {
          next()
          io.nextCalled()
        })
        io.inMiddleware()
      })
    },
  },
  expected: () => ({ connections: 0, listed: 0 }),
  async run({ io, client }) {
    const reached = new Promise<void>((resolve) => (io.inMiddleware = resolve))
    const nextCalled = new Promise<void>((resolve) => (io.nextCalled = resolve))
    const socket = client('/chat')
    await reached
    socket.io.engine.close()
    await nextCalled
    // socket.io looks at the connection a tick after next(): give it that turn and one more.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    return { connections: io.connections, listed: socketsOf(io.of('/chat')).length }
  },
})

parity('after router.close(), the server is plain socket.io again: refusals, io.of, parents, v2 names', {
  kinds: ALL_SERVERS,
  setup: {
    closeRouter: true,
    after(io) {
      io.of('/room:1')
    },
  },
  expected: (kind, gen) => ({
    unknown: { error: gen === 'v4' ? { message: 'Invalid namespace' } : kind === '2' ? 'Invalid namespace' : { message: 'Invalid namespace' } },
    ownOf: false,
    parents: 0,
    colon: CONNECTED,
  }),
  async run({ io, client }) {
    const unknown = await settle(client('/doesnotexist'))
    const colon = await settle(client('/room:1'))
    return { unknown, ownOf: Object.prototype.hasOwnProperty.call(io, 'of'), parents: io.parentNsps.size, colon }
  },
})
