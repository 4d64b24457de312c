import createDebug from 'debug'
import type { Socket } from 'socket.io'
import type { ErrorCode } from './errors.js'
import { readQueryValue } from './query.js'
import { removeMiddleware, type ServerLike } from './server-compat.js'

const debug = createDebug('socket.io-ns-router:root')

/**
 * What {@link guardRoot} needs from the router.
 *
 * @example
 * const options: RootGuardOptions = { queryKey: 'ns', policy: 'refuse', classify, refuse }
 */
export interface RootGuardOptions {
  readonly queryKey: string
  readonly policy: 'ignore' | 'disconnect' | 'refuse'
  /** The refusal code for an `ns` value, or undefined when it names a routed namespace. */
  readonly classify: (value: string) => ErrorCode | undefined
  /** Records a refusal and returns the error to send. */
  readonly refuse: (code: ErrorCode, message: string, name: string) => Error
}

/**
 * Applies the `unmatched` policy to sockets on `/`, from their `ns` handshake query: nothing for
 * `'ignore'`, a disconnect after `connection` for `'disconnect'` (the io-handler snippet's behaviour), a coded
 * middleware error for `'refuse'`. Returns the function that detaches it.
 *
 * @example
 * const detach = guardRoot(io, { queryKey: 'ns', policy: 'refuse', classify, refuse })
 */
export function guardRoot(io: ServerLike, options: RootGuardOptions): () => void {
  const { queryKey, policy, classify, refuse } = options
  const judge = (socket: Socket): Error | undefined => {
    const read = readQueryValue(socket.handshake.query, queryKey)
    const code = read.ok ? classify(read.value) : read.code
    if (!code) return undefined
    debug('%s on /: %s', policy, code)
    return refuse(code, `the "${queryKey}" query names no routed namespace`, read.ok ? read.value : '/')
  }
  if (policy === 'ignore') return () => {}
  const root = io.sockets
  if (policy === 'disconnect') {
    const onConnection = (socket: Socket): void => {
      if (judge(socket)) socket.disconnect()
    }
    root.on('connection', onConnection)
    return () => root.removeListener('connection', onConnection)
  }
  const middleware = (socket: Socket, next: (error?: Error) => void): void => next(judge(socket))
  root.use(middleware)
  return () => removeMiddleware(root, middleware)
}
