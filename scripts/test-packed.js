// Tests the package as npm publishes it (`npm pack`, after `npm run build`):
// 1. attw (node10, node16 from CJS and ESM, bundler) and publint on the tarball;
// 2. the tarball's CommonJS build, with the dependencies as this checkout resolves them, on every Node
//    version in NODE_VERSIONS: test/legacy-node/*.cjs (the legacy drop-in and the router on a real
//    socket.io 2.x server with socket.io-client 2.x clients); and its ESM build, test/legacy-node/*.mjs,
//    from ESM_FROM on. tap 21 needs Node 18, so these are plain scripts. The Node binaries are the npm
//    registry's node-<platform>-<arch> packages, installed on first use into .cache/node-versions; a
//    version that cannot be installed or run fails the test.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

// Both ends of each claimed major line: the first release (10.0 and 12.0 resolve `require` without
// "exports") and the last one.
const NODE_VERSIONS = ['10.0.0', '10.24.1', '12.0.0', '12.22.12', '14.21.3', '16.20.2', '18.20.8', '20.20.2', '22.23.5']
// The ESM build is ES2022 and uses `??=`, which came in Node 15.
const ESM_FROM = 16
const CACHE = resolve('.cache')
const NODES = join(CACHE, 'node-versions')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function fail(message) {
  console.error(`test-packed: ${message}`)
  process.exit(1)
}

function bin(name, command) {
  const folder = resolve('node_modules', name)
  return join(folder, JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).bin[command])
}

if (!existsSync('dist/cjs/index.js') || !existsSync('legacy/package.json')) fail('no build: run `npm run build` first (npm test does)')

// 1. The tarball, and what attw and publint say of it.
const packDir = join(CACHE, 'pack')
rmSync(packDir, { recursive: true, force: true })
mkdirSync(packDir, { recursive: true })
const tarball = join(packDir, execFileSync(npm, ['pack', '--silent', '--pack-destination', packDir], { encoding: 'utf8' }).trim())
console.log(`test-packed: attw and publint on ${tarball}`)
for (const [name, command, ...args] of [['@arethetypeswrong/cli', 'attw'], ['publint', 'publint', '--strict']]) {
  try {
    execFileSync(process.execPath, [bin(name, command), tarball, ...args], { stdio: 'inherit' })
  } catch {
    fail(`${command} found problems in the packed package (above)`)
  }
}

// 2. The tarball unpacked into .cache/legacy-node/node_modules, and the tests copied beside it, so that
// require('socket.io-ns-router') and import find it as they find an installed package. Everything else
// (the package's own dependencies, socket.io 2.x) resolves from this checkout's node_modules further up.
// The tests' package.json has no name: this repository's package.json, further up, would otherwise
// resolve 'socket.io-ns-router' to this checkout's own dist/ (self-reference).
const app = join(CACHE, 'legacy-node')
const unpacked = join(app, 'node_modules', 'socket.io-ns-router')
const tests = join(app, 'tests')
rmSync(app, { recursive: true, force: true })
mkdirSync(unpacked, { recursive: true })
execFileSync('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1'])
cpSync('test/legacy-node', tests, { recursive: true })

const platformPackage = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
const alias = (version) => `node-${version}`
const nodeBin = (version) => join(NODES, 'node_modules', alias(version), 'bin', 'node')
const missing = NODE_VERSIONS.filter((version) => !existsSync(nodeBin(version)))
if (missing.length) {
  console.log(`test-packed: installing Node ${missing.join(', ')} from the npm registry (${platformPackage}) into ${NODES}`)
  mkdirSync(NODES, { recursive: true })
  if (!existsSync(join(NODES, 'package.json'))) writeFileSync(join(NODES, 'package.json'), '{ "private": true }\n')
  const specs = missing.map((version) => `${alias(version)}@npm:${platformPackage}@${version}`)
  try {
    execFileSync(npm, ['install', '--prefix', NODES, '--save-exact', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], { stdio: 'inherit' })
  } catch {
    fail(`could not install ${specs.join(' ')} from the npm registry`)
  }
}
for (const version of NODE_VERSIONS) {
  let reported = ''
  try {
    reported = execFileSync(nodeBin(version), ['--version'], { encoding: 'utf8' }).trim()
  } catch (error) {
    fail(`Node ${version} from ${platformPackage} does not run here: ${error.message}`)
  }
  if (reported !== `v${version}`) fail(`${nodeBin(version)} says ${reported}, not v${version}`)
}

const files = readdirSync(tests).filter((file) => /\.[cm]js$/.test(file) && file !== 'harness.cjs').sort()
const runsOn = (version, file) => file.endsWith('.cjs') || Number(version.split('.')[0]) >= ESM_FROM

function runOne(version, file) {
  return new Promise((done) => {
    const child = spawn(nodeBin(version), [join(tests, file)], { cwd: tests, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('close', (code, signal) => {
      const passed = (output.match(/^ok \d+/gm) || []).length
      const failed = (output.match(/^not ok/gm) || []).length
      const planned = /^1\.\.(\d+)$/m.exec(output)
      // A crash before the plan, or fewer results than planned, is a failure too.
      const ok = code === 0 && signal === null && failed === 0 && planned !== null && passed === Number(planned[1]) && passed > 0
      done({ version, file, ok, passed, failed: ok ? failed : Math.max(failed, 1), output })
    })
  })
}

// Two at a time: the suite shares this machine's cores with tap.
const jobs = NODE_VERSIONS.flatMap((version) => files.filter((file) => runsOn(version, file)).map((file) => () => runOne(version, file)))
const results = []
const started = Date.now()
await Promise.all([0, 1].map(async () => {
  for (let job = jobs.shift(); job; job = jobs.shift()) {
    const result = await job()
    results.push(result)
    console.log(`${result.ok ? 'ok' : 'not ok'} - Node ${result.version} ${result.file}: ${result.passed} passed`)
    if (!result.ok) console.log(result.output.replace(/^/gm, '    '))
  }
}))
const passed = results.reduce((sum, result) => sum + result.passed, 0)
const failed = results.reduce((sum, result) => sum + result.failed, 0)
console.log(`test-packed: Node ${NODE_VERSIONS.join(', ')}: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
if (failed) process.exit(1)
