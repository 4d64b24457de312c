// The built CommonJS declarations as a legacy TypeScript project (`moduleResolution: node`, which ignores
// "exports") finds them: the package's "types" and the legacy/ folder's package.json.
import type { EventEmitter } from 'events'
import { Server } from 'socket.io'
import ioHandler = require('socket.io-ns-router/legacy')
import nsRouter = require('socket.io-ns-router')

const ee: EventEmitter = ioHandler(new Server(), { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
const named: EventEmitter = ioHandler.ioHandler(new Server(), { chat: '/c/:id' })
// @ts-expect-error routes are RegExps or path patterns
ioHandler(new Server(), { chat: 42 })

const router = nsRouter.createNamespaceRouter(new Server(), { routes: { chat: '/c/:id' } })
router.on('dynamic.group.chat', ({ params }) => params.id)
// @ts-expect-error misspelt param
router.on('dynamic.group.chat', ({ params }) => params.ID)
void [ee, named]

// The metrics entry point, through the metrics/ folder's package.json.
import metrics = require('socket.io-ns-router/metrics')
metrics.registerRouterMetrics(router).close()
