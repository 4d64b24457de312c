// Copies dist/esm into bench/.snapshot/, so every bench process loads one and the same build even
// when another suite rebuilds (removes) dist/ meanwhile. Retries while dist/ is being rebuilt.
import { cpSync, existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sleep } from './proc.js'

const DIST = fileURLToPath(new URL('../dist/esm/', import.meta.url))
const COPY = fileURLToPath(new URL('./.snapshot/esm/', import.meta.url))
const FILES = ['index.js', 'matcher.js', 'metrics.js', 'name.js', 'router.js', 'package.json']

export async function snapshotDist({ ms = 60_000 } = {}) {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      if (FILES.every((file) => existsSync(DIST + file))) {
        rmSync(COPY, { recursive: true, force: true })
        cpSync(DIST, COPY, { recursive: true })
        if (FILES.every((file) => existsSync(COPY + file))) return COPY.replace(/\/$/, '')
      }
    } catch {
      // dist/ changed under the copy: try again.
    }
    if (Date.now() > deadline) throw new Error(`no complete build in ${DIST} after ${ms} ms (npm run build)`)
    await sleep(250)
  }
}
