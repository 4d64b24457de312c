import { spawnSync } from 'node:child_process'
import { register, Registry } from 'prom-client'
import t from 'tap'
import { codes } from '../lib/errors.js'
import { DEFAULT_AUTHORIZE_BUCKETS, registerRouterMetrics } from '../lib/metrics.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientV4, connected, refusal, startServer, until } from './helpers/io.js'

const P = 'socket_io_namespace_router_'

// One sample of the exposition text: name{labels} value, or undefined when the series is absent.
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const text = await registry.metrics()
  const line = text.split('\n').find((candidate) => candidate.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function seriesCount(registry: Registry): Promise<number> {
  return (await registry.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#')).length
}

function routerOn(io: unknown, emptyNamespaceTtlMs = 0) {
  return createNamespaceRouter(io as never, {
    emptyNamespaceTtlMs,
    routes: {
      chat: {
        path: '/chat/:id',
        authorize: ({ params }) => {
          if (params.id === 'boom') throw new Error('authorize failed')
          return params.id !== 'no'
        },
      },
      plain: '/plain/:id',
    },
  })
}

t.test('metrics: live figures, creations, removals, refusals, authorize and errors, per route', async (t) => {
  const { io, url } = await startServer(t)
  const router = routerOn(io)
  const registry = new Registry()
  const metrics = registerRouterMetrics(router, { registry })
  t.teardown(() => metrics.close())

  t.equal(await sample(registry, `${P}namespaces{route="chat"}`), 0, 'every route is listed from the start')
  t.equal(await sample(registry, `${P}namespaces_created_total{route="plain"}`), 0)
  const socket = clientV4(t, url + '/chat/1')
  await connected(socket)
  t.equal(await sample(registry, `${P}namespaces{route="chat"}`), 1)
  t.equal(await sample(registry, `${P}sockets{route="chat"}`), 1)
  t.equal(await sample(registry, `${P}sockets{route="plain"}`), 0)
  t.equal(await sample(registry, `${P}namespaces_created_total{route="chat"}`), 1)

  await refusal('4', clientV4(t, url + '/chat/no'))
  await refusal('4', clientV4(t, url + '/chat/boom'))
  await refusal('4', clientV4(t, url + '/nowhere'))
  t.equal(await sample(registry, `${P}refusals_total{code="${codes.FORBIDDEN}",route="chat"}`), 2)
  t.equal(await sample(registry, `${P}refusals_total{code="${codes.NO_ROUTE}",route=""}`), 1, 'no route: an empty route label')
  t.equal(await sample(registry, `${P}errors_total{during="authorize"}`), 1)
  // create + join for /chat/1, create for the two refused ones.
  t.equal(await sample(registry, `${P}authorize_duration_seconds_count{route="chat",phase="create",outcome="allowed"}`), 1)
  t.equal(await sample(registry, `${P}authorize_duration_seconds_count{route="chat",phase="join",outcome="allowed"}`), 1)
  t.equal(await sample(registry, `${P}authorize_duration_seconds_count{route="chat",phase="create",outcome="denied"}`), 1)
  t.equal(await sample(registry, `${P}authorize_duration_seconds_count{route="chat",phase="create",outcome="error"}`), 1)
  t.equal(await sample(registry, `${P}authorize_duration_seconds_bucket{le="${DEFAULT_AUTHORIZE_BUCKETS.at(-1)}",route="chat",phase="join",outcome="allowed"}`), 1)

  socket.close()
  await until(() => router.stats().namespaces === 0, 'the namespace is removed')
  t.equal(await sample(registry, `${P}namespaces{route="chat"}`), 0)
  t.equal(await sample(registry, `${P}sockets{route="chat"}`), 0)
  t.equal(await sample(registry, `${P}namespaces_removed_total{route="chat"}`), 1)
})

t.test('metrics: 10,000 distinct namespaces and 200 distinct refused names leave the number of series unchanged', async (t) => {
  const { io, url } = await startServer(t)
  const router = routerOn(io, 60_000)
  const registry = new Registry()
  registerRouterMetrics(router, { registry })
  router.namespace('plain', { id: 'first' })
  await refusal('4', clientV4(t, url + '/nowhere/first'))
  const before = await seriesCount(registry)
  for (let i = 0; i < 10_000; i++) router.namespace('plain', { id: `n${i}` })
  for (let i = 0; i < 200; i++) await refusal('4', clientV4(t, `${url}/nowhere/${i}`))
  t.equal(router.stats().namespaces, 10_001)
  t.equal(await sample(registry, `${P}namespaces{route="plain"}`), 10_001)
  t.equal(await sample(registry, `${P}refusals_total{code="${codes.NO_ROUTE}",route=""}`), 201)
  t.equal(await seriesCount(registry), before)
  const text = await registry.metrics()
  t.notMatch(text, /n9999|nowhere/, 'no namespace name in any label')
  await router.close()
  t.equal(await seriesCount(registry), before, 'nor after they are all removed')
})

t.test('metrics: names, help and units pass promtool check metrics', async (t) => {
  const { io, url } = await startServer(t)
  const router = routerOn(io)
  const registry = new Registry()
  registerRouterMetrics(router, { registry })
  await connected(clientV4(t, url + '/chat/1'))
  await refusal('4', clientV4(t, url + '/nowhere'))
  const text = await registry.metrics()
  const checked = spawnSync(process.env.PROMTOOL ?? 'promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  t.equal(checked.error, undefined, 'promtool runs (Debian package prometheus; npm test provisions it)')
  t.equal(checked.status, 0, `promtool: ${checked.stdout}${checked.stderr}`)
  t.equal(checked.stdout + checked.stderr, '', 'no lint problem')
  for (const name of text.match(/^# TYPE \S+ counter$/gm) ?? []) t.match(name, /_total counter$/)
})

t.test('metrics: the default registry, custom buckets, and close', async (t) => {
  const { io, url } = await startServer(t)
  const router = routerOn(io)
  const metrics = registerRouterMetrics(router, { buckets: [0.5] })
  t.teardown(() => metrics.close())
  await refusal('4', clientV4(t, url + '/chat/no'))
  t.match(await register.metrics(), /socket_io_namespace_router_authorize_duration_seconds_bucket\{le="0\.5"/)
  t.throws(() => registerRouterMetrics(router), /already been registered/, 'one set per registry')
  metrics.close()
  metrics.close()
  t.notMatch(await register.metrics(), /socket_io_namespace_router_/, 'close removes them')
  t.equal(router.emitter.all.get('refused')?.length ?? 0, 0, 'and stops listening')
  router.namespace('plain', { id: '1' })
  const again = registerRouterMetrics(router)
  t.equal(await sample(register, `${P}namespaces{route="plain"}`), 1, 'a later registration reads the live figures')
  again.close()
})
