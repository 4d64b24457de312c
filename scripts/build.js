// Builds lib/ twice with tsc: ESM into dist/esm and CommonJS into dist/cjs, each with its own types. The
// CommonJS build also compiles lib/legacy-entry.cts, the `require('socket.io-ns-router/legacy')` function.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')

rmSync('dist', { recursive: true, force: true })
rmSync('legacy', { recursive: true, force: true })
rmSync('metrics', { recursive: true, force: true })
for (const config of ['tsconfig.build.esm.json', 'tsconfig.build.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' })
}
writeFileSync('dist/esm/package.json', '{ "type": "module" }\n')
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n')

// Resolvers that ignore "exports" (Node before 12.17, TypeScript's `moduleResolution: node`) look for a
// legacy/ and a metrics/ folder: their package.json send them to the CommonJS entry and its types.
for (const [folder, main, types] of [
  ['legacy', '../dist/cjs/legacy-entry.cjs', '../dist/cjs/legacy-entry.d.cts'],
  ['metrics', '../dist/cjs/metrics.js', '../dist/cjs/metrics.d.ts'],
]) {
  mkdirSync(folder)
  writeFileSync(`${folder}/package.json`, JSON.stringify({ main, types }, null, 2) + '\n')
}
