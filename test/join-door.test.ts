// A socket's way into a routed namespace (lib/join.ts) on its own: a namespace of a real server with the
// join as its middleware and `connection` listener, and a membership the tests steer.
import t, { type Test } from 'tap'
import type { Socket } from 'socket.io'
import type { Authorizer } from '../lib/authorize.js'
import { codes, RefusalError } from '../lib/errors.js'
import { createJoin } from '../lib/join.js'
import type { Lifecycle } from '../lib/lifecycle.js'
import { compileRoutes, type RouteMatch } from '../lib/matcher.js'
import type { Quotas } from '../lib/quotas.js'
import { createRefusals } from '../lib/refusals.js'
import { createEmitter } from '../lib/safe-emit.js'
import { clientV4, connected, once, startServer } from './helpers/io.js'

const matcher = compileRoutes({ room: '/room/:id', guarded: { path: '/guarded/:id', authorize: () => true } })

async function setup(t: Test, steer: { live?: boolean; full?: boolean; allow?: (match: RouteMatch) => boolean } = {}) {
  const { io, url } = await startServer(t)
  const emitter = createEmitter<Record<string, unknown>>()
  const refused: string[] = []
  emitter.on('refused', (event) => refused.push((event as { code: string }).code))
  const settled: [string, boolean][] = []
  const members = {
    matchOf: (namespace: { name: string }) => (steer.live === false ? undefined : matcher.match(namespace.name)),
    enter: () => (steer.full ? 'connection' : undefined),
    settle: (socket: Socket, connected: boolean) => settled.push([socket.nsp.name, connected]),
  } as unknown as Lifecycle
  const quotas = { connectionRefusal: (name: string) => new RefusalError(codes.CONNECTION_LIMIT, name) } as unknown as Quotas
  const authorizer: Authorizer = { creation: () => true, join: async (_check, match) => steer.allow?.(match) ?? true }
  const join = createJoin({ members, quotas, authorizer, refusals: createRefusals(emitter), emitter })
  const open = (name: string) => {
    const namespace = io.of(name)
    namespace.use(join.admit)
    namespace.on('connection', join.announce)
    return clientV4(t, url + name)
  }
  return { emitter, refused, settled, open }
}

t.test("a join passes the route's authorize in its 'join' phase, and is announced", async (t) => {
  const { emitter, refused, settled, open } = await setup(t, { allow: (match) => match.params.id !== 'no' })
  const announced: unknown[] = []
  emitter.on('dynamic.group.guarded', (event) => announced.push((event as { params: unknown }).params))
  await connected(open('/guarded/yes'))
  await connected(open('/room/1'))
  const [err] = await once(open('/guarded/no'), 'connect_error')
  t.equal(err.data.code, codes.FORBIDDEN)
  t.same(announced, [{ id: 'yes' }])
  t.same(refused, [codes.FORBIDDEN])
  t.same(settled, [['/guarded/yes', true], ['/room/1', true], ['/guarded/no', false]])
})

t.test('a socket is refused at the door when its connection is at its bound, or its namespace is gone', async (t) => {
  const full = await setup(t, { full: true })
  const [bound] = await once(full.open('/room/1'), 'connect_error')
  t.equal(bound.data.code, codes.CONNECTION_LIMIT)
  const gone = await setup(t, { live: false })
  const [err] = await once(gone.open('/room/1'), 'connect_error')
  t.equal(err.data.code, codes.UNAVAILABLE)
  t.same(gone.refused, [codes.UNAVAILABLE])
})

t.test('a failing dynamic.group handler is reported as an error', async (t) => {
  const { emitter, open } = await setup(t)
  const errors: unknown[] = []
  emitter.on('error', (event) => errors.push(event))
  emitter.on('dynamic.group.room', () => { throw new Error('join handler') })
  await connected(open('/room/1'))
  t.match(errors, [{ during: 'dynamic.group handler', route: 'room', name: '/room/1' }])
})
