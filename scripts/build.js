// Builds lib/ twice with tsc: ESM into dist/esm and CommonJS into dist/cjs, each with its own types.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')

rmSync('dist', { recursive: true, force: true })
for (const config of ['tsconfig.build.esm.json', 'tsconfig.build.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' })
}
mkdirSync('dist/esm', { recursive: true })
writeFileSync('dist/esm/package.json', '{ "type": "module" }\n')
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n')

// The seed's apps call require('./io-handler')(io): the CommonJS entry of the legacy subpath is the
// function itself, still carrying its named export.
writeFileSync(
  'dist/cjs/legacy-entry.js',
  "'use strict'\nconst legacy = require('./legacy.js')\nmodule.exports = Object.assign(legacy.ioHandler.bind(null), legacy)\n",
)
writeFileSync(
  'dist/cjs/legacy-entry.d.ts',
  "import { ioHandler } from './legacy.js'\ndeclare const entry: typeof ioHandler & typeof import('./legacy.js')\nexport = entry\n",
)
