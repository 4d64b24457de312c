// Checked by `tsc -p test/types` (npm run typecheck): every @ts-expect-error line must fail to compile.
import { Server } from 'socket.io'
import {
  createNamespaceRouter,
  type AuthorizeContext,
  type PathParams,
  type RouteEvent,
  type RouterEvents,
} from '../../lib/index.js'

const io = new Server()
const router = createNamespaceRouter(io, {
  routes: {
    chat: '/category/:categoryId/item/:itemId/chat',
    legacy: /category\/(\d+)\/item\/(\d+)\/chat/,
    tenant: {
      path: '/t/:tenant',
      authorize: async ({ params, handshake, phase, auth }) => {
        const tenant: string = params.tenant
        // @ts-expect-error misspelt param in authorize
        params.tenat
        // @ts-expect-error the handshake is undefined before the namespace exists
        handshake.headers
        const p: 'create' | 'join' = phase
        const a: Readonly<Record<string, unknown>> = auth
        return tenant.length > 0 && p !== undefined && a !== undefined
      },
    },
    files: '/files/*',
    num: '/n/:id(^\\d+$)',
  },
  query: 'ns',
})

router.on('dynamic.group.chat', ({ route, socket, namespace, params, captures }) => {
  const r: 'chat' = route
  const id: string = params.categoryId + params.itemId
  // @ts-expect-error a misspelt key is a compile error
  params.categoryID
  const first: string | undefined = captures[0]
  socket.emit('x', r, id, first)
  namespace.emit('y')
})
router.on('dynamic.group.legacy', ({ params, captures }) => {
  const named: string | undefined = params.anything
  // @ts-expect-error RegExp captures may be undefined
  const capture: string = captures[0]
  return [named, capture]
})
router.on('dynamic.group.files', ({ params }) => params['*'])
router.on('dynamic.group.num', ({ params }) => params.id)
// @ts-expect-error no such route
router.on('dynamic.group.nope', () => {})
router.on('refused', ({ code, name, route }) => [code, name, route])
router.on('error', ({ error, during }) => [error, during])
router.on('namespace.created', ({ namespace }) => namespace.name)
router.on('authorized', ({ route, phase, name, outcome, durationMs }) => [route, phase === 'create', name, outcome === 'denied', durationMs + 1])
// @ts-expect-error outcomes are allowed, denied and error
router.on('authorized', ({ outcome }) => outcome === 'refused')
router.emitter.on('*', (type, payload) => [type, payload])
router.off('refused', () => {})

router.namespace('chat', { categoryId: '1', itemId: '2' }).emit('hello')
router.namespace('files', { '*': 'a/b' })
// @ts-expect-error missing param
router.namespace('chat', { categoryId: '1' })
// @ts-expect-error misspelt param
router.namespace('chat', { categoryId: '1', itemID: '2' })
// @ts-expect-error RegExp routes cannot be reverse-routed
router.namespace('legacy', {})
// @ts-expect-error unknown route
router.namespace('nope', {})
const closing: Promise<void> = router.close()
void closing

type Chat = PathParams<'/category/:categoryId/item/:itemId/chat'>
const chatParams: Chat = { categoryId: '1', itemId: '2' }
// @ts-expect-error params are read-only
chatParams.categoryId = '3'
const constrained: PathParams<'/n/:id(^\\d+$)/:b'> = { id: '1', b: '2' }
// @ts-expect-error the wildcard is '*'
const wildcard: PathParams<'/files/*'> = { rest: 'a' }
type E = RouterEvents<{ chat: '/c/:id' }>['dynamic.group.chat']
const event = {} as E
const id: string = event.params.id
const generic: RouteEvent = event as unknown as RouteEvent
const context = {} as AuthorizeContext<{ id: string }>
const contextId: string = context.params.id
void [chatParams, constrained, wildcard, id, generic, contextId]

createNamespaceRouter(io, {
  routes: { chat: '/c/:id' },
  // @ts-expect-error unmatched is 'ignore' or 'disconnect'
  unmatched: 'drop',
})

// Lifecycle and limits (issue: namespace lifecycle, limits and hostile input).
const limited = createNamespaceRouter(io, {
  routes: { room: { path: '/room/:id', maxNamespaces: 100, authorize: ({ params }) => params.id !== '0' } },
  emptyNamespaceTtlMs: false,
  maxNamespaces: 1_000,
  maxNameLength: 128,
  maxParamLength: 32,
  allowUnsafeRegex: false,
  unmatched: 'refuse',
})
const stats = limited.stats()
const live: number = stats.namespaces + stats.byRoute.room! + stats.sockets + stats.socketsByRoute.room! + stats.joining + stats.created + stats.removed
const refusedCount: number | undefined = stats.refusals.NS_LIMIT
limited.on('namespace.removed', ({ route, name }) => [route, name])
// @ts-expect-error the grace period is a number of ms or false
createNamespaceRouter(io, { routes: {}, emptyNamespaceTtlMs: true })
// @ts-expect-error maxNamespaces is a number
createNamespaceRouter(io, { routes: { a: { path: '/a', maxNamespaces: '5' } } })
void [live, refusedCount]

// Bounds per connection and per client, and the client key.
import { addressKey, codes, forwardedFor, type ClientKey } from '../../lib/index.js'
const byTenant: ClientKey = ({ headers, address, query }) => String(headers['x-tenant'] ?? query.tenant ?? address)
createNamespaceRouter(io, {
  routes: { chat: '/c/:id' },
  maxNamespacesPerConnection: 16,
  maxNamespacesPerClient: Infinity,
  clientKey: byTenant,
})
createNamespaceRouter(io, { routes: { chat: '/c/:id' }, clientKey: forwardedFor(['127.0.0.1']) })
createNamespaceRouter(io, { routes: { chat: '/c/:id' }, clientKey: addressKey })
// @ts-expect-error a client key is a string
createNamespaceRouter(io, { routes: { chat: '/c/:id' }, clientKey: () => 1 })
// @ts-expect-error the proxies are a list of addresses
forwardedFor('127.0.0.1')
const limits: ('NS_CONNECTION_LIMIT' | 'NS_CLIENT_LIMIT')[] = [codes.CONNECTION_LIMIT, codes.CLIENT_LIMIT]
void limits

// A mixed socket.io 2.x / 4.x cluster: the error of a request that cannot cross generations.
import { NamespaceRouterError, type ErrorCode } from '../../lib/index.js'
const mixed: 'ERR_MIXED_CLUSTER' = codes.MIXED_CLUSTER
const isMixed = (error: unknown): boolean => error instanceof NamespaceRouterError && error.code === codes.MIXED_CLUSTER
const asCode: ErrorCode = mixed
// @ts-expect-error it is a server-side error, not a refusal code
const notRefusal: `NS_${string}` = codes.MIXED_CLUSTER
void [isMixed, asCode, notRefusal]

// The clock behind the grace period.
import { type Clock } from '../../lib/index.js'
const manual: Clock = { now: () => 0, setTimeout: (run, ms) => [run, ms], clearTimeout: () => {} }
createNamespaceRouter(io, { routes: { room: '/room/:id' }, clock: manual })
// @ts-expect-error a clock has now, setTimeout and clearTimeout
createNamespaceRouter(io, { routes: { room: '/room/:id' }, clock: { now: () => 0 } })
