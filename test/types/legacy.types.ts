import type { EventEmitter } from 'node:events'
import { Server } from 'socket.io'
import { ioHandler } from '../../lib/legacy.js'

const ee: EventEmitter = ioHandler(new Server(), { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
ee.on('dynamic.group.chat', (socket, categoryId: string, itemId: string) => [socket, categoryId, itemId])
// @ts-expect-error routes are RegExps or path patterns
ioHandler(new Server(), { chat: 42 })
