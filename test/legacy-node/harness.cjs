'use strict'
// A tiny test runner for old Node (tap 21 needs Node 18): tests run one after the other, each with its own
// teardowns and a deadline, and the file exits non-zero if any failed. Syntax and core modules stay within
// what Node 10 has: no `node:` prefix, no `?.`, `??` or `??=`.
const http = require('http')
const assert = require('assert')

const tests = []

function test(name, fn) {
  tests.push({ name, fn })
}

async function run() {
  let failed = 0
  for (const [index, { name, fn }] of tests.entries()) {
    const teardowns = []
    const t = { teardown: (f) => teardowns.push(f) }
    let timer
    try {
      await Promise.race([
        fn(t),
        new Promise((resolve, reject) => {
          timer = setTimeout(() => reject(new Error('test timed out after 10 s')), 10000)
        }),
      ])
      console.log(`ok ${index + 1} - ${name}`)
    } catch (error) {
      failed++
      console.log(`not ok ${index + 1} - ${name}\n  ${String((error && error.stack) || error).split('\n').join('\n  ')}`)
    } finally {
      clearTimeout(timer)
      for (const f of teardowns.reverse()) await f()
    }
  }
  console.log(`1..${tests.length}`)
  process.exitCode = failed ? 1 : 0
}
setImmediate(() => {
  run().catch((error) => {
    console.log(`not ok - harness: ${error.stack}`)
    process.exitCode = 1
  })
})

/** A socket.io 2.x server on 127.0.0.1:0, closed in teardown. */
async function startV2Server(t) {
  const server = http.createServer()
  const io = require('socket.io-v2')(server)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    io.close()
    server.close(() => resolve())
  }))
  return { io, url: `http://127.0.0.1:${server.address().port}` }
}

/** A socket.io-client 2.x socket for `url` (which includes the namespace), closed in teardown. */
function clientV2(t, url, options) {
  const socket = require('socket.io-client-v2')(url, Object.assign({ forceNew: true, reconnection: false, transports: ['websocket'] }, options))
  t.teardown(() => socket.close())
  return socket
}

/** The arguments of the next `event`, or a rejection after `ms`, so a hang fails the test. */
function once(emitter, event, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), ms || 3000)
    emitter.once(event, (...args) => {
      clearTimeout(timer)
      resolve(args)
    })
  })
}

/** The payload of the router's next `type` event, or a rejection after `ms`. */
function nextEvent(router, type, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for router event "${type}"`)), ms || 3000)
    const handler = (payload) => {
      clearTimeout(timer)
      router.off(type, handler)
      resolve(payload)
    }
    router.on(type, handler)
  })
}

module.exports = { test, assert, startV2Server, clientV2, once, nextEvent }
