// The built ESM declarations, as a user's `moduleResolution: nodenext` (or bundler) project sees them through
// the package's "exports" (npm test builds dist/ before the type tests).
import type { EventEmitter } from 'node:events'
import { Server } from 'socket.io'
import { codes, createNamespaceRouter, ioHandler as fromMain, RefusalError, type PathParams } from 'socket.io-ns-router'
import { ioHandler } from 'socket.io-ns-router/legacy'

const router = createNamespaceRouter(new Server(), { routes: { chat: '/category/:categoryId/item/:itemId/chat' } })
router.on('dynamic.group.chat', ({ params }) => params.categoryId + params.itemId)
// @ts-expect-error misspelt param
router.on('dynamic.group.chat', ({ params }) => params.categoryID)
// @ts-expect-error no such route
router.namespace('nope', {})
const refusal = new RefusalError(codes.FORBIDDEN, 'no')
const code: 'NS_FORBIDDEN' = codes.FORBIDDEN
const chat: PathParams<'/c/:id'> = { id: '1' }

const ee: EventEmitter = ioHandler(new Server(), { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
// @ts-expect-error routes are RegExps or path patterns
fromMain(new Server(), { chat: 42 })
void [refusal, code, chat, ee]

// The client-key helpers, from the built declarations.
import { forwardedFor, type ClientKey } from 'socket.io-ns-router'
const key: ClientKey = forwardedFor(['10.0.0.1'])
createNamespaceRouter(new Server(), { routes: { chat: '/c/:id' }, clientKey: key, maxNamespacesPerConnection: 8 })
// @ts-expect-error maxNamespacesPerClient is a number
createNamespaceRouter(new Server(), { routes: { chat: '/c/:id' }, maxNamespacesPerClient: '8' })

// The route-wide handle, from the built declarations.
import type { RouteHandle, RouteWideCount } from 'socket.io-ns-router'
const wide: RouteHandle<{ readonly categoryId: string; readonly itemId: string }> = router.route('chat').where({ categoryId: '1' })
const counted: Promise<RouteWideCount> = wide.count()
// @ts-expect-error misspelt param
router.route('chat').where({ categoryID: '1' })
void counted

// The clock option, from the built declarations.
import type { Clock } from 'socket.io-ns-router'
const distClock: Clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }
createNamespaceRouter(new Server(), { routes: { room: '/room/:id' }, clock: distClock })
// @ts-expect-error a clock has now, setTimeout and clearTimeout
createNamespaceRouter(new Server(), { routes: { room: '/room/:id' }, clock: { now: () => 0 } })

// The metrics entry point, from the built declarations.
import { Registry } from 'prom-client'
import { registerRouterMetrics, type RouterMetrics } from 'socket.io-ns-router/metrics'
const metrics: RouterMetrics = registerRouterMetrics(router, { registry: new Registry(), buckets: [0.1, 1] })
metrics.close()
// @ts-expect-error buckets are numbers
registerRouterMetrics(router, { buckets: ['1'] })
