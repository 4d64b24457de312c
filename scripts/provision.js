// The first step of `npm test`: installs what the tests need beyond node_modules, or stops at once saying
// how. The scale-out tests start a real redis-server (Debian package redis-server); the browser test drives
// Debian's chromium; the metrics test lints the exposition with promtool (Debian package prometheus). As root with apt-get, the missing packages are installed; anywhere else the exact
// command to run is printed and the test fails.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

function fail(message) {
  console.error(`provision: ${message}`)
  process.exit(1)
}

// attw (the package check) needs Node 20; the CommonJS build itself runs on Node 10 and later.
const major = Number(process.versions.node.split('.')[0])
if (major < 20) fail(`npm test needs Node 20 or later to run its tools (this is Node ${process.versions.node})`)

const runs = (command) => !spawnSync(command, ['--version'], { stdio: 'ignore' }).error
const needs = [
  { pkg: 'redis-server', present: () => runs(process.env.REDIS_SERVER ?? 'redis-server') },
  { pkg: 'chromium', present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
  { pkg: 'prometheus', present: () => runs(process.env.PROMTOOL ?? 'promtool') },
]
const missingPackages = () => needs.filter((need) => !need.present()).map((need) => need.pkg)

const missing = missingPackages()
if (missing.length > 0) {
  const install = `apt-get install -y --no-install-recommends ${missing.join(' ')}`
  const root = process.getuid?.() === 0
  if (!root || !runs('apt-get')) {
    const how = runs('apt-get') ? `sudo apt-get update && sudo ${install}` : `install ${missing.join(' ')} with your package manager (Debian: apt-get update && ${install})`
    fail(`the tests need the Debian packages ${missing.join(' and ')}, which are missing. Run:\n  ${how}\nthen npm test again.`)
  }
  console.log(`provision: installing the Debian packages ${missing.join(' and ')} that the tests need: apt-get update && ${install}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
  } catch {
    fail(`apt-get could not install ${missing.join(' ')}`)
  }
  const still = missingPackages()
  if (still.length > 0) fail(`${still.join(' and ')} still missing after apt-get install`)
}
console.log('provision: redis-server, chromium and promtool are installed')
