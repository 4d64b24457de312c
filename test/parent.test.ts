import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import t, { type Test } from 'tap'
import type { Namespace } from 'socket.io'
import type { Authorizer } from '../lib/authorize.js'
import { codes, RefusalError } from '../lib/errors.js'
import { createJoin } from '../lib/join.js'
import type { Claim, Lifecycle } from '../lib/lifecycle.js'
import { compileRoutes, type RouteMatch } from '../lib/matcher.js'
import { createParent, openParent } from '../lib/parent.js'
import type { Quotas } from '../lib/quotas.js'
import { createRefusals } from '../lib/refusals.js'
import { createEmitter } from '../lib/safe-emit.js'
import { accessServer } from '../lib/server-compat.js'
import {
  client,
  clientFor,
  clientV4,
  connected,
  namespaceNames,
  once,
  refusal,
  SERVER_LINES,
  startServer,
  until,
  versionOf,
  type ServerKind,
} from './helpers/io.js'
import { startRedis } from './helpers/redis.js'

const matcher = compileRoutes({ room: '/room/:id', guarded: { path: '/guarded/:id', authorize: () => true } })

// What the tests steer in the steps below the parent: its limits, the route's authorize, and what
// its membership is told of a creation.
interface Steering {
  capRefusal(match: RouteMatch, name: string): RefusalError | undefined
  claim(match: RouteMatch, name: string): Claim | RefusalError
  authorizeCreation(match: RouteMatch, name: string, auth: unknown): true | Promise<boolean>
  authorizeJoin(match: RouteMatch): Promise<boolean>
  enter(socket: unknown): 'connection' | undefined
  created(namespace: Namespace, match: RouteMatch, claim: Claim | undefined): void
}

// A parent over a real server, with its limits, authorizer and membership replaced by plain ones the
// tests steer; names, refusals and the `//` aliases are the real ones.
async function setup(t: Test, kind: ServerKind = '4', overrides: Partial<Steering> = {}, prepare?: (io: any) => void) {
  const { io, url } = await startServer(t, kind)
  prepare?.(io)
  const server = accessServer(io)
  const live = new Map<unknown, RouteMatch>()
  const created: [string, boolean][] = []
  const refused: [string, string][] = []
  const claims = { taken: 0, dropped: 0 }
  const emitter = createEmitter<Record<string, unknown>>()
  emitter.on('refused', (event) => {
    const { code, name } = event as { code: string; name: string }
    refused.push([code, name])
  })
  const hooks: Steering = {
    capRefusal: () => undefined,
    // As the quotas do: the caps first, then a claim that is given back unless a namespace is created.
    claim: (match, name) => {
      const full = hooks.capRefusal(match, name)
      if (full) return full
      claims.taken++
      let dropped = false
      return { connection: undefined, key: undefined, drop: () => { if (!dropped) { dropped = true; claims.dropped++ } } }
    },
    authorizeCreation: async () => true,
    authorizeJoin: async () => true,
    enter: () => undefined,
    created: (namespace, _match, claim) => {
      created.push([namespace.name, claim !== undefined])
    },
    ...overrides,
  }
  const quotas: Quotas = {
    capRefusal: (match, name) => hooks.capRefusal(match, name),
    claim: (match, name) => hooks.claim(match, name),
    connectionRefusal: (name) => new RefusalError(codes.CONNECTION_LIMIT, name),
  }
  const authorizer: Authorizer = {
    creation: (match, name, auth) => hooks.authorizeCreation(match, name, auth),
    join: (_check, match) => hooks.authorizeJoin(match),
  }
  const members = {
    matchOf: (namespace: unknown) => live.get(namespace),
    adopt: (namespace: Namespace, match: RouteMatch, claim?: Claim) => {
      live.set(namespace, match)
      hooks.created(namespace, match, claim)
    },
    enter: (socket: unknown) => hooks.enter(socket),
    settle: () => {},
    removeAll: async () => {},
  } as unknown as Lifecycle
  const opened = openParent(io)
  const refusals = createRefusals(emitter)
  const join = createJoin({ members, quotas, authorizer, refusals, emitter })
  const parent = createParent(io, opened, { server, matcher, maxNameLength: 256, emitter, refusals, quotas, authorizer, members, join })
  const gate = {
    parent: opened.namespace as { on(event: string, fn: unknown): unknown; children?: Set<unknown> },
    create: parent.create,
    isLast: () => server.isLastParent(opened.check),
    close: () => void parent.close(),
  }
  return { io, url, gate, parent, emitter, created, refused, live, claims }
}

for (const sync of [true, false]) {
  t.test(`an authorize that answers ${sync ? 'at once creates the namespace in the same turn' : 'with a promise creates it a microtask later'}`, async (t) => {
    let sameTurn = false
    const turns: boolean[] = []
    const { url, created } = await setup(t, '4', {
      authorizeCreation: () => {
        sameTurn = true
        queueMicrotask(() => (sameTurn = false))
        return sync ? true : Promise.resolve(true)
      },
      created: (namespace) => {
        turns.push(sameTurn)
        created.push([namespace.name, true])
      },
    })
    await connected(clientV4(t, url + '/room/9'))
    t.same(created, [['/room/9', true]])
    t.same(turns, [sync])
  })
}

for (const kind of SERVER_LINES) {
  t.test(`socket.io ${versionOf(kind)}: a routed CONNECT creates its namespace once, with the parent's setup`, async (t) => {
    const { io, url, gate, created } = await setup(t, kind)
    const connections: string[] = []
    gate.parent.on('connection', (socket: { nsp: { name: string } }) => connections.push(socket.nsp.name))
    await connected(client(t, clientFor(kind), url + '/room/1'))
    t.same(created, [['/room/1', true]], 'created for a client')
    t.same(connections, ['/room/1'])
    t.ok((gate.parent as { children?: Set<unknown> }).children?.has(io.of('/room/1')))
    t.equal(gate.create('/room/2').name, '/room/2')
    t.same(created[1], ['/room/2', false], 'created by server code')
    t.equal(gate.create('/room/2'), io.of('/room/2'), 'the same one again')
  })

  t.test(`socket.io ${versionOf(kind)}: refusals before creation carry their code and leave nothing`, async (t) => {
    const { io, url, refused } = await setup(t, kind, {
      authorizeCreation: async (match) => match.params.id !== 'no',
    })
    const attempt = async (name: string) => (await refusal(clientFor(kind), client(t, clientFor(kind), url + name))).data?.code
    t.equal(await attempt('/elsewhere'), codes.NO_ROUTE)
    t.equal(await attempt('/room/%41'), codes.INVALID_NAME)
    t.equal(await attempt('/room/no'), codes.FORBIDDEN)
    // A name sent as it is (a Manager's socket), which socket.io would read as a URL for a socket.io-client 2
    // (a stand-in answers it: namespace-alias.ts), and any other client sends to the check as it is.
    const manager = client(t, clientFor(kind), url)
    await connected(manager)
    // (A Manager's socket connects by itself once its Manager is open, on every client generation.)
    const asIs = manager.io.socket('/what the client asked') as any
    t.equal((await refusal(clientFor(kind), asIs)).data?.code, codes.INVALID_NAME)
    t.same(refused.map(([code, name]) => `${code} ${name}`), [
      'NS_NO_ROUTE /elsewhere',
      'NS_INVALID_NAME /room/%41',
      'NS_FORBIDDEN /room/no',
      'NS_INVALID_NAME /what the client asked',
    ])
    t.same(namespaceNames(io), ['/'])
  })
}

t.test('caps: before authorize, and again after it unless the namespace appeared meanwhile', async (t) => {
  let cap = 0
  let live = 0
  // Each creation's authorize waits until the test lets it through, in the order the test chooses.
  const waiting: { id: string; allow: () => void }[] = []
  const allow = (id: string): void => {
    const index = waiting.findIndex((entry) => entry.id === id)
    waiting.splice(index, 1)[0]!.allow()
  }
  const { io, url, refused, claims } = await setup(t, '4', {
    capRefusal: (_match, name) => (live >= cap ? new RefusalError(codes.LIMIT, `full for ${name}`) : undefined),
    authorizeCreation: (match) => new Promise<boolean>((resolve) => { waiting.push({ id: match.params.id as string, allow: () => resolve(true) }) }),
    created: () => { live++ },
  })
  const [before] = await once(clientV4(t, url + '/room/1'), 'connect_error')
  t.equal(before.data.code, codes.LIMIT, 'refused before authorize')

  cap = 1
  const first = connected(clientV4(t, url + '/room/2'))
  const late = once(clientV4(t, url + '/room/3'), 'connect_error')
  await until(() => waiting.length === 2, 'both creations are in authorize')
  const racer = connected(clientV4(t, url + '/room/2'))
  await until(() => waiting.length === 3, 'the racer is in authorize too')
  allow('2')
  await first
  allow('2')
  await racer
  t.pass('the racer into /room/2 is let in: joining an existing namespace needs no room')
  allow('3')
  const [after] = await late
  t.equal(after.data.code, codes.LIMIT, 'refused after authorize: /room/2 took the last place meanwhile')
  t.same(refused, [])
  t.same(namespaceNames(io).sort(), ['/', '/room/2'])
  t.same(claims, { taken: 3, dropped: 2 }, 'claims given back when refused after authorize, or when the namespace was joined instead of created')
})

t.test('a later parent gets unrouted names', async (t) => {
  const { io, url, gate, refused } = await setup(t)
  t.ok(gate.isLast())
  io.of(/^\/other$/)
  t.notOk(gate.isLast())
  await connected(clientV4(t, url + '/other'))
  const [err] = await once(clientV4(t, url + '/elsewhere'), 'connect_error')
  t.equal(err.message, 'Invalid namespace')
  t.same(refused, [], 'not refused by the gate')
})

t.test('close: socket.io stops asking, and a pending answer creates nothing', async (t) => {
  let release: (() => void) | undefined
  const { io, url, gate, created } = await setup(t, '4', {
    authorizeCreation: () => new Promise<boolean>((resolve) => { release = () => resolve(true) }),
  })
  const pending = clientV4(t, url + '/room/1')
  await until(() => release !== undefined, 'the creation is in authorize')
  gate.close()
  release!()
  const [err] = await once(pending, 'connect_error')
  t.equal(err.message, 'Invalid namespace')
  t.same(created, [])
  t.equal(io.parentNsps.size, 0)
})

// socket.io before 2.5.0 and 4.3.2 calls createChild again for a CONNECT that was waiting for an async
// check while another created the namespace (socket.io#4136); later versions look the name up first.
for (const [kind, calls] of [['2.1', 2], ['3.0', 2], ['3.1', 2], ['4.0', 2], ['2', 1], ['4', 1]] as [ServerKind, number][]) {
  t.test(`socket.io ${versionOf(kind)}: racing creators get one namespace (createChild called ${calls === 1 ? 'once' : 'twice'})`, async (t) => {
    // Both CONNECTs are answered together, once both wait: they race on every machine, however loaded.
    const waiting: (() => void)[] = []
    const { io, url, gate, created } = await setup(t, kind, {
      authorizeCreation: () => new Promise<boolean>((resolve) => {
        waiting.push(() => resolve(true))
        if (waiting.length === 2) for (const go of waiting) go()
      }),
    })
    let createChild = 0
    const parent = gate.parent as typeof gate.parent & { createChild(name: string): unknown }
    const wrapped = parent.createChild
    parent.createChild = (name: string) => (createChild++, wrapped(name))
    await Promise.all([connected(client(t, clientFor(kind), url + '/room/1')), connected(client(t, clientFor(kind), url + '/room/1'))])
    t.equal(createChild, calls)
    t.same(created, [['/room/1', true]])
    t.equal(accessServer(io).socketCount(io.of('/room/1')), 2)
  })
}

t.test("a client gone while authorize decided: nothing is created and its claim is given back", async (t) => {
  let release: (allowed: boolean) => void = () => {}
  const connection = { readyState: 'open', on() {}, removeListener() {} }
  let dropped = 0
  const { io, url, created } = await setup(t, '4', {
    claim: () => ({ connection, key: 'k', drop: () => { dropped++ } }),
    authorizeCreation: () => new Promise<boolean>((resolve) => (release = resolve)),
  })
  const client = clientV4(t, url + '/room/1')
  const refused = once(client, 'connect_error')
  await until(() => release.length === 1, 'authorize is deciding')
  connection.readyState = 'closed'
  release(true)
  const [err] = await refused
  t.equal(err.message, 'Invalid namespace', 'socket.io found no parent that takes it')
  t.same(created, [])
  t.equal(dropped, 1)
  t.same(namespaceNames(io), ['/'])
})

t.test("a join passes the route's authorize in its 'join' phase, and is announced", async (t) => {
  const { url, emitter, refused } = await setup(t, '4', { authorizeJoin: async (match) => match.params.id !== 'no' })
  const announced: string[] = []
  emitter.on('dynamic.group.guarded', (event) => announced.push((event as { namespace: Namespace }).namespace.name))
  await connected(clientV4(t, url + '/guarded/yes'))
  const [err] = await once(clientV4(t, url + '/guarded/no'), 'connect_error')
  t.equal(err.data.code, codes.FORBIDDEN)
  t.same(announced, ['/guarded/yes'])
  t.same(refused, [[codes.FORBIDDEN, '/guarded/no']])
})

t.test('failing handlers of namespace.created and dynamic.group are reported as errors', async (t) => {
  const { url, emitter, created } = await setup(t)
  const errors: string[] = []
  emitter.on('error', (event) => errors.push((event as { during: string }).during))
  emitter.on('namespace.created', () => { throw new Error('created handler') })
  emitter.on('dynamic.group.room', () => { throw new Error('join handler') })
  await connected(clientV4(t, url + '/room/1'))
  t.same(created, [['/room/1', true]])
  t.same(errors, ['namespace.created handler', 'dynamic.group handler'])
})

t.test('io.of(name) for a routed name creates it through the parent; other names stay plain', async (t) => {
  const { io, url, created } = await setup(t)
  let hooked = 0
  const routed = io.of('/room/5', () => hooked++)
  t.equal(io.of('room/6').name, '/room/6', 'a name without its leading slash too')
  t.same(created, [['/room/5', false], ['/room/6', false]])
  t.equal(io.of('/room/5'), routed, 'an existing one is looked up, not created again')
  t.equal(io.of('/plain').name, '/plain')
  t.equal(created.length, 2)
  await connected(clientV4(t, url + '/room/5'))
  t.equal(hooked, 1, 'the function given to io.of hears connections')
})

t.test('the // spelling of a routed name joins the namespace of its canonical name', async (t) => {
  const { url, created } = await setup(t)
  const manager = clientV4(t, url)
  await connected(manager)
  await connected(manager.io.socket('//room/1'))
  t.same(created, [['/room/1', true]])
})

t.test('a socket is refused at the door when its connection is at its bound, or its namespace is gone', async (t) => {
  const { url, live, refused } = await setup(t, '4', { enter: () => 'connection' })
  const [bound] = await once(clientV4(t, url + '/room/1'), 'connect_error')
  t.equal(bound.data.code, codes.CONNECTION_LIMIT)
  live.clear()
  const [gone] = await once(clientV4(t, url + '/room/1'), 'connect_error')
  t.equal(gone.data.code, codes.UNAVAILABLE)
  t.same(refused, [[codes.UNAVAILABLE, '/room/1']])
})

t.test('an opened parent answers no until the parent is made, then counts its creations', async (t) => {
  const { io, url } = await startServer(t)
  openParent(io)
  const [err] = await once(clientV4(t, url + '/room/1'), 'connect_error')
  t.equal(err.message, 'Invalid namespace')
  t.same(namespaceNames(io), ['/'])
  const { parent, url: other } = await setup(t)
  await connected(clientV4(t, other + '/room/1'))
  t.equal(parent.created(), 1)
})

t.test("close gives back the guards of the adapters' Redis clients", async (t) => {
  const redis = await startRedis(t)
  const [pub, sub] = [createClient({ url: redis.url }), createClient({ url: redis.url })]
  for (const client of [pub, sub]) client.on('error', () => {})
  await Promise.all([pub.connect(), sub.connect()])
  // A guard wraps methods of each client as own properties (redis-faults.ts), and its release takes them away.
  const wrapped = () => Object.keys(pub).length + Object.keys(sub).length
  let before = 0
  const { parent } = await setup(t, '4', {}, (io) => {
    io.adapter(createAdapter(pub, sub))
    before = wrapped()
  })
  t.ok(wrapped() > before, 'guarded while the router lives')
  await parent.close()
  t.equal(wrapped(), before, 'and no longer once it is closed')
  await Promise.all([pub.quit(), sub.quit()])
})
