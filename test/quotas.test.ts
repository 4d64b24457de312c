// The limits step (lib/quotas.ts) over a real lifecycle on a real server: which refusal a client's
// creation or join gets, and that a passing creation is claimed.
import t from 'tap'
import { addressKey } from '../lib/client-key.js'
import { codes, RefusalError } from '../lib/errors.js'
import { systemClock } from '../lib/clock.js'
import { createLifecycle } from '../lib/lifecycle.js'
import { compileRoutes } from '../lib/matcher.js'
import { createQuotas } from '../lib/quotas.js'
import { createRefusals } from '../lib/refusals.js'
import { createEmitter } from '../lib/safe-emit.js'
import { accessServer } from '../lib/server-compat.js'
import { startServer } from './helpers/io.js'

const matcher = compileRoutes({ room: { path: '/room/:id', maxNamespaces: 1 }, other: '/other/:id' })

async function setup(t: Parameters<typeof startServer>[0], maxNamespaces = Infinity) {
  const { io } = await startServer(t)
  const parent = io.of(() => {})
  const emitter = createEmitter<Record<string, unknown>>()
  const refused: string[] = []
  emitter.on('refused', (event) => {
    const { code, name, route } = event as { code: string; name: string; route?: string }
    refused.push(`${code} ${name} ${route}`)
  })
  const refusals = createRefusals(emitter)
  const lifecycle = createLifecycle(accessServer(io), parent, {
    ttl: false, maxNamespaces, perConnection: 1, perClient: 1, clock: systemClock, emitter, refusals,
  })
  const quotas = createQuotas(lifecycle, refusals, { maxNamespacesPerConnection: 1, maxNamespacesPerClient: 1, clientKey: addressKey })
  const adopt = (name: string) => lifecycle.adopt(parent.createChild(name), matcher.match(name)!)
  return { lifecycle, quotas, refused, adopt }
}

t.test('the caps of a route and of all routes refuse one more namespace, with their code', async (t) => {
  const { lifecycle, quotas, refused, adopt } = await setup(t, 2)
  const room = matcher.match('/room/2')!
  const other = matcher.match('/other/2')!
  t.equal(quotas.capRefusal(room, '/room/2'), undefined)
  adopt('/room/1')
  const full = quotas.capRefusal(room, '/room/2')
  t.ok(full instanceof RefusalError)
  t.equal(full?.message, 'too many namespaces (route)')
  t.ok(quotas.claim(room, '/room/2', undefined) instanceof RefusalError, 'a claim is capped too')
  adopt('/other/1')
  t.equal(quotas.capRefusal(other, '/other/2')?.message, 'too many namespaces (all routes)')
  t.same(refused, ['NS_LIMIT /room/2 room', 'NS_LIMIT /room/2 room', 'NS_LIMIT /other/2 other'])
  await lifecycle.removeAll()
})

t.test("a client's creation is claimed against its connection and its key, or refused at their bounds", async (t) => {
  const { lifecycle, quotas, refused } = await setup(t)
  const match = matcher.match('/other/1')!
  const server = quotas.claim(match, '/other/1', undefined)
  t.notOk(server instanceof Error)
  t.same([(server as { connection: unknown }).connection, (server as { key: unknown }).key], [undefined, undefined], 'server code: no connection, no key')
  const connection = { readyState: 'open', remoteAddress: '203.0.113.7', on() {}, removeListener() {} }
  const claim = quotas.claim(match, '/other/1', connection)
  t.notOk(claim instanceof Error)
  t.equal((claim as { key: unknown }).key, '203.0.113.7', 'keyed by the client key')
  const again = quotas.claim(match, '/other/2', connection)
  t.equal((again as RefusalError).data.code, codes.CONNECTION_LIMIT)
  const neighbour = { readyState: 'open', remoteAddress: '203.0.113.7', on() {}, removeListener() {} }
  const sameKey = quotas.claim(match, '/other/3', neighbour)
  t.equal((sameKey as RefusalError).data.code, codes.CLIENT_LIMIT)
  t.equal(quotas.connectionRefusal('/other/4', 'other').data.code, codes.CONNECTION_LIMIT)
  t.same(refused, [
    'NS_CONNECTION_LIMIT /other/2 other',
    'NS_CLIENT_LIMIT /other/3 other',
    'NS_CONNECTION_LIMIT /other/4 other',
  ])
  await lifecycle.removeAll()
})
