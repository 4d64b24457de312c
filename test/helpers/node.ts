// Server processes for the multi-node tests, each running test/fixtures/node-server.ts.
import { fork, type ChildProcess } from 'node:child_process'
import tap, { type Test } from 'tap'
import { until } from './io.js'

export interface NodeProcess {
  port: number
  url: string
  /** Sends a command to the process and resolves with its result. */
  call<T = unknown>(cmd: string, args?: object): Promise<T>
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>
  /** Kills the process at once (no cleanup), as a crash would. */
  kill(): Promise<void>
  /** Makes the process exit normally (its coverage is written; a kill loses it). */
  exit(): Promise<void>
  /** Sends a signal (SIGSTOP freezes the process: its connections stay open, it answers nothing). */
  signal(name: NodeJS.Signals): void
}

let nextId = 0

/** Starts `test/fixtures/<fixture>` (by default the socket.io 4 node) as a child process. */
export async function startNode(t: Test, env: Record<string, string | undefined>, port = 0, fixture = 'node-server.ts'): Promise<NodeProcess> {
  // process.execArgv carries tap's TypeScript loader and coverage hooks to the child.
  const child: ChildProcess = fork(new URL(`../fixtures/${fixture}`, import.meta.url), {
    execArgv: process.execArgv,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let exited = false
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exited = true
    resolve(code)
  }))
  t.teardown(() => { if (!exited) child.kill('SIGKILL') })
  const ready = await new Promise<number>((resolve, reject) => {
    // Generous: a loaded machine runs these with tap's TypeScript loader and coverage hooks.
    const timer = setTimeout(() => reject(new Error('node process did not start')), 60_000)
    child.on('message', (message: any) => {
      if (message?.ready !== undefined) {
        clearTimeout(timer)
        resolve(message.ready)
      }
    })
    child.once('exit', (code) => reject(new Error(`node process exited with ${code}`)))
  })
  return {
    port: ready,
    url: `http://127.0.0.1:${ready}`,
    exited: exit,
    call(cmd, args = {}) {
      const id = ++nextId
      return new Promise((resolve, reject) => {
        const onMessage = (message: any) => {
          if (message?.id !== id) return
          child.off('message', onMessage)
          if ('error' in message) reject(new Error(message.error))
          else resolve(message.result)
        }
        child.on('message', onMessage)
        child.send({ id, cmd, ...args })
      })
    },
    exit() {
      return new Promise((resolve) => {
        if (exited) return resolve()
        child.once('exit', () => resolve())
        child.send({ cmd: 'exit' })
      })
    },
    signal(name) {
      child.kill(name)
    },
    kill() {
      return new Promise((resolve) => {
        if (exited) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      })
    },
  }
}

/**
 * Emits a `probe` from `from` into the namespace of `params` until `listener`, a client on another node,
 * hears it; resolves with the ms it took.
 */
export async function crossNode(from: NodeProcess, listener: { once(event: string, fn: () => void): unknown }, params: object): Promise<number> {
  const start = Date.now()
  let heard = false
  listener.once('probe', () => { heard = true })
  await until(async () => {
    if (!heard) await from.call('emit', { params, event: 'probe', data: null })
    return heard
  }, 'a cross-node broadcast arrives', 10_000)
  return Date.now() - start
}

/**
 * Restarts tap's time limit for this test file (package.json "timeout"): a file whose work grows with the
 * machine's load (the join races) calls it after each part it finishes, so that the limit bounds a part,
 * which a hang never finishes, instead of the whole file, which a loaded machine legitimately takes long to run.
 */
export function madeProgress(): void {
  tap.setTimeout(Number(process.env.TAP_TIMEOUT ?? 30) * 1000)
}
