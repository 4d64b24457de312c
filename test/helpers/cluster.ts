import { fork, type ChildProcess } from 'node:child_process'
import { madeProgress } from './node.js'

interface Teardown {
  teardown(fn: () => void): void
}

/** A node:cluster primary (test/fixtures/cluster-primary.ts) with its workers, and a way to ask them. */
export interface Cluster {
  readonly primary: ChildProcess
  /** The port the primary listens on, for every worker. */
  readonly port: number
  /** Sends a command to one worker through the primary and resolves with its result. */
  call(worker: number, cmd: string, args?: object): Promise<any>
}

/**
 * Starts a cluster with these extra environment variables; it exits at the test's teardown. A primary that
 * exits fails at once; one that never gets ready is caught by tap's time limit for the file, which starts
 * again once the cluster is up (the start of TypeScript workers grows with the machine's load).
 */
export async function startCluster(t: Teardown, env: Record<string, string> = {}): Promise<Cluster> {
  const primary = fork(new URL('../fixtures/cluster-primary.ts', import.meta.url), {
    execArgv: process.execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  t.teardown(() => { primary.send({ cmd: 'exit' }) })
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the cluster's primary exited with ${code} before it was ready`))
    primary.once('exit', onExit)
    primary.on('message', (message: any) => {
      if (message?.ready) {
        primary.off('exit', onExit)
        resolve(message.ready)
      }
    })
  })
  madeProgress()
  let nextId = 0
  const call = (worker: number, cmd: string, args: object = {}) => new Promise<any>((resolve) => {
    const id = ++nextId
    const onMessage = (message: any) => {
      if (message?.id !== id) return
      primary.off('message', onMessage)
      resolve(message.result)
    }
    primary.on('message', onMessage)
    primary.send({ id, worker, cmd, ...args })
  })
  return { primary, port, call }
}
