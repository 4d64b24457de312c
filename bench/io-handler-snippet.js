// The io-handler snippet this package replaces, as a baseline, rewritten for the benchmark with the same behaviour:
// a `connection` handler on `/` reads `ns` from the handshake query, tries every RegExp route in
// turn, calls io.of(ns) once per new name and never frees it. Only socket.io-client 2.x reaches
// it: v4 clients never join `/`.
import { EventEmitter } from 'node:events'

export function createSnippetHandler(io, routes) {
  const ee = new EventEmitter()
  const namespacesCreated = {}

  /** The body of the snippet's handler for one `ns` value; true when a route matched. */
  const open = (ns) => {
    let matched = false
    for (const name of Object.keys(routes)) {
      const matches = ns.match(routes[name])
      if (!matches) continue
      matched = true
      if (!namespacesCreated[ns]) {
        namespacesCreated[ns] = true
        io.of(ns).on('connection', (nsp) => ee.emit(`dynamic.group.${name}`, nsp, ...matches.slice(1)))
      }
    }
    return matched
  }

  io.sockets.on('connection', (socket) => {
    const { ns } = socket.handshake.query
    if (!ns || !open(ns)) socket.disconnect()
  })

  return { ee, open, created: () => Object.keys(namespacesCreated).length }
}
