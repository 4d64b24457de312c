// Checked by `tsc -p test/types` (npm run typecheck): the route-wide handle, typed from the routes.
import { Server } from 'socket.io'
import { createNamespaceRouter, type RouteHandle, type RouteWideCount } from '../../lib/index.js'

const router = createNamespaceRouter(new Server(), {
  routes: {
    chat: '/category/:categoryId/item/:itemId/chat',
    legacy: /^\/legacy\/(?<room>\d+)$/,
    tenant: { path: '/t/:tenant', authorize: () => true },
  },
})

const chat: RouteHandle<{ readonly categoryId: string; readonly itemId: string }> = router.route('chat')
const name: string = chat.route
async function use(): Promise<void> {
  const counted: RouteWideCount = await chat.count()
  const { nodes, namespaces, sockets } = await chat.where({ categoryId: '1' }).timeout(2000).emit('news', { text: 'hi' }, 2)
  const names: string[] = await chat.names()
  void [counted, nodes, namespaces, sockets, names]
}
chat.where({ categoryId: '1', itemId: '2' })
chat.where({})
router.route('tenant').where({ tenant: 'acme' })
// A RegExp route's params are its named groups, not known to the types.
router.route('legacy').where({ room: '7' })

// @ts-expect-error no such route
router.route('nope')
// @ts-expect-error misspelt param
chat.where({ categoryID: '1' })
// @ts-expect-error a param of another route
chat.where({ tenant: 'acme' })
// @ts-expect-error params are strings
chat.where({ categoryId: 1 })
// @ts-expect-error the timeout is a number of ms
chat.timeout('5s')
// @ts-expect-error the event name is a string
void chat.emit(42)
void [use, name]
