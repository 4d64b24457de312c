// Parents registered before the router: socket.io asks them first, so they take the CONNECTs they
// accept, and `debug` says which route they shadow. Also the router's route() entry point.
import { format } from 'node:util'
import createDebug from 'debug'
import t from 'tap'
import { codes } from '../lib/errors.js'
import { createNamespaceRouter } from '../lib/router.js'
import { clientFor, client, connected, SERVER_LINES, startServer, versionOf } from './helpers/io.js'

// The router's debug output, captured by enabling its namespace from here.
function captureDebug(t: { teardown(fn: () => void): void }): string[] {
  const lines: string[] = []
  const enabled = createDebug.disable()
  const log = createDebug.log
  createDebug.enable('socket.io-ns-router:router')
  createDebug.log = (...args: unknown[]) => void lines.push(format(...args))
  t.teardown(() => {
    createDebug.log = log
    createDebug.disable()
    if (enabled) createDebug.enable(enabled)
  })
  return lines
}

const routes = { chat: '/category/:categoryId/item/:itemId/chat', board: '/board/:boardId' }

for (const kind of SERVER_LINES) {
  t.test(`socket.io ${versionOf(kind)}: an io.of(regex) registered first takes the CONNECTs it matches, and debug says so`, async (t) => {
    const lines = captureDebug(t)
    const { io, url } = await startServer(t, kind)
    const earlier = io.of(/^\/(category\/\d+\/item\/\d+\/chat|elsewhere)$/)
    const taken: string[] = []
    earlier.on('connection', (socket: { nsp: { name: string } }) => taken.push(socket.nsp.name))
    const router = createNamespaceRouter(io, { routes })
    const announced: string[] = []
    router.on('*', (type) => announced.push(String(type)))
    t.ok(lines.some((line) => line.includes('1 parent namespace(s) registered before the router')), 'creating the router notes the earlier parent')

    const join = async (name: string) => connected(client(t, clientFor(kind), url + name, { query: { ns: name } }))
    await join('/category/1/item/2/chat')
    await join('/category/1/item/3/chat')
    await join('/elsewhere')
    await join('/board/1')
    t.same(taken, ['/category/1/item/2/chat', '/category/1/item/3/chat', '/elsewhere'], 'the earlier parent serves them')
    t.same(announced, ['namespace.created', 'dynamic.group.board'], 'the router created and announced only the board')
    const warnings = lines.filter((line) => line.includes('is shadowed'))
    t.equal(warnings.length, 1, 'one warning per shadowed route, not per name')
    t.match(warnings[0], /route chat is shadowed: \/category\/1\/item\/2\/chat went to a parent namespace registered before the router/)
    await router.close()
    t.notOk(Object.hasOwn(earlier, 'createChild'), 'close() stops watching the earlier parent')
  })
}

t.test('a parent registered after the router is asked after it: nothing to warn about', async (t) => {
  const lines = captureDebug(t)
  const { io, url } = await startServer(t)
  const router = createNamespaceRouter(io, { routes })
  io.of(/^\/later\/\d+$/)
  await connected(client(t, '4', url + '/later/1'))
  await connected(client(t, '4', url + '/category/1/item/2/chat'))
  t.same(lines.filter((line) => /registered before|shadowed/.test(line)), [])
  t.same(await router.route('chat').count(), { nodes: 1, namespaces: 1, sockets: 1 }, 'route() hands out the route-wide handle')
  await router.close()
  t.throws(() => router.route('chat'), { code: codes.CLOSED })
})
