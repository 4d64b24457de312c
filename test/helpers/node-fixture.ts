// The process side of a node fixture (test/fixtures/node-server.ts, legacy-node-server.ts), which
// test/helpers/node.ts starts and drives: { id, cmd, ... } in, { id, result } or { id, error } out.
import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a fixture's commands get: the IPC message, with the command's own arguments. */
export type Commands = Record<string, (message: any) => unknown>

/**
 * Answers `commands` over IPC, and listens on PORT (0: any) at 127.0.0.1, telling the test its port once
 * it can take clients. `exit` exits normally, so that the coverage of the process is written (a kill
 * loses it).
 */
export function serveCommands(http: HttpServer, commands: Commands): void {
  process.on('message', async (message: any) => {
    if (message?.cmd === undefined) return
    if (message.cmd === 'exit') process.exit(0)
    try {
      const result = await (commands[message.cmd] as (m: unknown) => unknown)(message)
      process.send?.({ id: message.id, result })
    } catch (error) {
      process.send?.({ id: message.id, error: String(error) })
    }
  })
  http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.send?.({ ready: (http.address() as AddressInfo).port })
  })
}

/**
 * A node's `close` command: the router first (it removes its namespaces and their adapters), then socket.io,
 * then each Redis client, in that order, so that nothing is left holding a subscription.
 */
export async function closeNode(
  router: { close(): Promise<void> } | undefined,
  io: { close(): unknown },
  quits: ReadonlyArray<() => Promise<unknown>>,
): Promise<true> {
  await router?.close()
  io.close()
  await Promise.all(quits.map((quit) => quit()))
  return true
}

/** A node_redis 3 client's quit (callback API), as a promise. */
export const quitV3 = (client: { quit(done: () => void): unknown }) => (): Promise<void> =>
  new Promise((resolve) => { client.quit(() => resolve()) })

/**
 * Collects garbage, a turn apart, until at most `atMost` of `refs` are reachable or `ms` has passed; returns
 * how many are. A WeakRef read in a turn keeps its target alive until the turn ends.
 */
export async function reachableAfterGc(refs: ReadonlyArray<WeakRef<object>>, atMost: number, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms
  for (;;) {
    globalThis.gc?.()
    const count = refs.filter((ref) => ref.deref() !== undefined).length
    if (count <= atMost || Date.now() > deadline) return count
    await new Promise((resolve) => setImmediate(resolve))
  }
}
