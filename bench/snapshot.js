// Copies this package (package.json and dist/esm) into bench/.snapshot/, so every bench process loads
// one and the same build even when another suite rebuilds (removes) dist/ meanwhile. The copy is a
// package directory: subject.js imports it through its package.json "exports". Retries while dist/ is
// being rebuilt.
import { cpSync, existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sleep } from './proc.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const COPY = fileURLToPath(new URL('./.snapshot/', import.meta.url))
const FILES = ['package.json', 'dist/esm/index.js', 'dist/esm/matcher.js', 'dist/esm/metrics.js', 'dist/esm/name.js', 'dist/esm/router.js', 'dist/esm/package.json']

/** Copies the package and returns the copy's directory. */
export async function snapshotPackage({ ms = 60_000 } = {}) {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      if (FILES.every((file) => existsSync(ROOT + file))) {
        rmSync(COPY, { recursive: true, force: true })
        cpSync(ROOT + 'package.json', COPY + 'package.json')
        cpSync(ROOT + 'dist/esm', COPY + 'dist/esm', { recursive: true })
        if (FILES.every((file) => existsSync(COPY + file))) return COPY.replace(/\/$/, '')
      }
    } catch {
      // dist/ changed under the copy: try again.
    }
    if (Date.now() > deadline) throw new Error(`no complete build in ${ROOT}dist/esm after ${ms} ms (npm run build)`)
    await sleep(250)
  }
}
