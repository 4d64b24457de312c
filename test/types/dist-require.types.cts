// The built CommonJS declarations, as a user's CommonJS TypeScript file under `moduleResolution: node16` sees
// them through the package's "exports" `require` condition.
import type { EventEmitter } from 'events'
import { Server } from 'socket.io'
import ioHandler = require('socket.io-ns-router/legacy')
import nsRouter = require('socket.io-ns-router')

// The module itself is the function, and still carries its named export.
const ee: EventEmitter = ioHandler(new Server(), { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
const named: EventEmitter = ioHandler.ioHandler(new Server(), { chat: '/c/:id' })
// @ts-expect-error routes are RegExps or path patterns
ioHandler(new Server(), { chat: 42 })

const router = nsRouter.createNamespaceRouter(new Server(), { routes: { chat: '/c/:id' } })
router.on('dynamic.group.chat', ({ params }) => params.id)
// @ts-expect-error misspelt param
router.on('dynamic.group.chat', ({ params }) => params.ID)
const code: 'NS_NO_ROUTE' = nsRouter.codes.NO_ROUTE
void [ee, named, code]

// The metrics entry point, required.
import metrics = require('socket.io-ns-router/metrics')
metrics.registerRouterMetrics(router).close()
// @ts-expect-error the registry is a prom-client registry
metrics.registerRouterMetrics(router, { registry: {} })
