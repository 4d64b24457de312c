// Child processes spoken to by request and reply over IPC. Every request has a deadline and every
// child is killed (by its own pid) if the bench exits first, so no run leaves processes behind.
import { fork } from 'node:child_process'

const live = new Set()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * Forks `file` and resolves once it said `ready`. `request(cmd, args, ms)` resolves with the child's
 * answer or rejects on its error, its death or the deadline.
 */
export async function spawn(file, { env = {}, execArgv = [], name = file, readyMs = 30_000 } = {}) {
  const child = fork(new URL(file, import.meta.url), [], {
    execArgv: ['--expose-gc', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  live.add(child)
  const waiting = new Map()
  let nextId = 0
  let exited
  const dead = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      exited = { code, signal }
      for (const { reject, timer } of waiting.values()) {
        clearTimeout(timer)
        reject(new Error(`${name} exited (${signal ?? code}) during a request`))
      }
      waiting.clear()
      resolve(exited)
    })
  })
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${readyMs} ms`)), readyMs)
    child.once('message', (message) => {
      clearTimeout(timer)
      if (message?.ready) resolve()
      else reject(new Error(`${name} said ${JSON.stringify(message)} instead of ready`))
    })
    dead.then(() => reject(new Error(`${name} exited before it was ready`)))
  })
  child.on('message', (message) => {
    const pending = waiting.get(message?.id)
    if (!pending) return
    waiting.delete(message.id)
    clearTimeout(pending.timer)
    if (message.error) pending.reject(new Error(`${name}: ${message.error}`))
    else pending.resolve(message.result)
  })
  await ready

  return {
    pid: child.pid,
    request(cmd, args = {}, ms = 60_000) {
      if (exited) return Promise.reject(new Error(`${name} has exited`))
      const id = ++nextId
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`${name}: ${cmd} took longer than ${ms} ms`))
        }, ms)
        waiting.set(id, { resolve, reject, timer })
        child.send({ id, cmd, args })
      })
    },
    /** Asks the child to exit, and kills it if it has not within `ms`. */
    async close(ms = 10_000) {
      if (exited) return exited
      child.send({ cmd: 'exit' })
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      const result = await dead
      clearTimeout(timer)
      return result
    },
  }
}

/**
 * The child's side: answers requests with `handlers[cmd](args)`, exits on `exit`, when the parent
 * goes away, or after `lifetimeMs` whatever happens.
 */
export function serve(handlers, { lifetimeMs = 30 * 60_000 } = {}) {
  setTimeout(() => {
    console.error(`bench child ${process.argv[1]} lived longer than ${lifetimeMs} ms: exiting`)
    process.exit(3)
  }, lifetimeMs).unref()
  process.on('disconnect', () => process.exit(0))
  process.on('message', async ({ id, cmd, args }) => {
    if (cmd === 'exit') {
      await handlers.exit?.()
      process.exit(0)
    }
    try {
      if (typeof handlers[cmd] !== 'function') throw new Error(`unknown command ${cmd}`)
      process.send({ id, result: await handlers[cmd](args) })
    } catch (error) {
      process.send({ id, error: error?.stack ?? String(error) })
    }
  })
  process.send({ ready: true })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
