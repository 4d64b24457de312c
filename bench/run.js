// npm run bench [-- --quick] [-- --only=connect,match,churn,scale,redis,memory] [-- --candidate=DIR] [-- --rounds=N]
// [-- --adapters=memory,redis,sharded-static] (the memory case's adapters; all by default)
// Runs the suite, prints the table, writes results/latest.json and results/latest.svg; a full run of
// every benchmark also writes results/full.json, chart.svg and the table in README.md. --candidate
// names another build of this package, by its directory (a checkout of another commit, built), measured
// in the same run as `candidate`.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { renderChart } from './chart.js'
import { markdownTable, tableRows, textTable } from './report.js'
import { snapshotPackage } from './snapshot.js'
import { exportedFile } from './package-dir.js'

const SIZES = {
  quick: {
    connect: { clients: 200, namespaces: [50], rounds: 2, warmup: 50, concurrency: 25 },
    match: { sizes: [10, 100, 1000, 10_000], rounds: 2, minMs: 15, lookups: 256 },
    churn: { count: 5_000, checkpoints: 5, warmup: 500, managers: 4, window: 64, rounds: 1 },
    scale: { sockets: 1_000, namespaces: 100, processes: 2, concurrency: 50, rounds: 1, holdMs: 500 },
    redis: { levels: [10, 100, 1_000], broadcasts: 200, samples: 1, rounds: 1 },
    memory: { count: 500, rounds: 2 },
  },
  full: {
    connect: { clients: 1_000, namespaces: [10, 1_000], rounds: 6, warmup: 200, concurrency: 50 },
    match: { sizes: [10, 100, 1000, 10_000], rounds: 7, minMs: 100, lookups: 1024 },
    churn: { count: 100_000, checkpoints: 10, warmup: 2_000, managers: 4, window: 64, rounds: 2 },
    scale: { sockets: 10_000, namespaces: 1_000, processes: 4, concurrency: 50, rounds: 3, holdMs: 2_000 },
    redis: { levels: [10, 1_000, 10_000], broadcasts: 2_000, samples: 3, rounds: 3 },
    memory: { count: 3_000, rounds: 3 },
  },
}
const ALL = ['match', 'connect', 'churn', 'scale', 'redis', 'memory']

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? ALL
const unknown = only.filter((name) => !ALL.includes(name))
if (unknown.length) {
  console.error(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${ALL.join(', ')}`)
  process.exit(2)
}
const adapters = args.find((a) => a.startsWith('--adapters='))?.slice(11).split(',')
const candidate = args.find((a) => a.startsWith('--candidate='))?.slice(12)
if (candidate) {
  const dir = resolve(candidate)
  const entry = existsSync(join(dir, 'package.json')) && exportedFile(dir, '.')
  if (!entry || !existsSync(entry)) {
    console.error(`--candidate=${candidate}: give a directory of this package (package.json and its build, npm run build)`)
    process.exit(2)
  }
  process.env.NS_ROUTER_BENCH_CANDIDATE = dir
}
// A copy of a build inside another checkout is not that checkout's HEAD: only a checkout of its own names a commit.
const commitOf = (dir) => {
  const git = (...args) => execFileSync('git', ['-C', dir, ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  try {
    if (resolve(git('rev-parse', '--show-toplevel')) !== dir) return 'another build'
    return git('status', '--porcelain', '--untracked-files=no', 'lib') ? `${git('rev-parse', '--short', 'HEAD')} with changes to lib/` : git('rev-parse', '--short', 'HEAD')
  } catch {
    return 'another build'
  }
}
const roundsArg = args.find((a) => a.startsWith('--rounds='))?.slice(9)
const rounds = roundsArg === undefined ? undefined : Number(roundsArg)
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) {
  console.error(`--rounds=${roundsArg}: give a whole number of rounds, 1 or more`)
  process.exit(2)
}
// The full sizes are what results/full.json and the chart hold: a run with other rounds writes only latest.json.
const complete = !quick && !adapters && rounds === undefined && ALL.every((name) => only.includes(name))
const base = SIZES[quick ? 'quick' : 'full']
// More rounds narrow a median on a quiet machine (the rounds of every case, each case's other sizes kept).
const sizes = rounds === undefined ? base : Object.fromEntries(Object.entries(base).map(([name, size]) => [name, { ...size, rounds }]))
const here = (file) => new URL(file, import.meta.url)
const started = performance.now()
const log = (message) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`)

if (!global.gc) {
  console.error('run with --expose-gc (npm run bench does)')
  process.exit(2)
}

// Read from node_modules directly: some packages do not export their package.json.
const version = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
const openFiles = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || Infinity
const meta = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' '),
  quick,
  only,
  // Its commit when it is a git checkout: results name no machine's paths.
  candidate: candidate && commitOf(process.env.NS_ROUTER_BENCH_CANDIDATE),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model.trim(),
  memoryGB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()}`,
  openFilesLimit: openFiles,
  loadAverageAtStart: os.loadavg(),
  versions: Object.fromEntries(['socket.io', 'socket.io-v2', 'socket.io-client', 'socket.io-client-v2', 'find-my-way', 'rou3', 'path-to-regexp', '@socket.io/redis-adapter', '@socket.io/redis-streams-adapter', 'redis'].map((n) => [n, version(n)])),
  redisServer: execFileSync(process.env.REDIS_SERVER ?? 'redis-server', ['--version']).toString().trim(),
  sizes,
}

process.env.NS_ROUTER_BENCH_PACKAGE ||= await snapshotPackage()
log(`router: a copy of this package's build; ${meta.cpus} cores, load ${meta.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')}`)

// Imported only now: they load the router, which must come from the snapshot.
const results = { meta, errors: {} }
const steps = {
  match: async () => (await import('./match.js')).runMatch(sizes.match),
  connect: async () => (await import('./connect.js')).runConnect({ ...sizes.connect, log }),
  churn: async () => (await import('./churn.js')).runChurn({ ...sizes.churn, log }),
  scale: async () => {
    // The server holds one descriptor per socket; a client process holds its share.
    const needed = sizes.scale.sockets + 200
    if (openFiles < needed) throw new Error(`ulimit -n is ${openFiles}: the server needs ${needed} descriptors for ${sizes.scale.sockets} sockets`)
    return (await import('./scale.js')).runScale({ ...sizes.scale, log })
  },
  redis: async () => (await import('./redis.js')).runRedis({ ...sizes.redis, log }),
  memory: async () => (await import('./memory.js')).runMemory({ ...sizes.memory, ...(adapters && { adapters }), log }),
}
for (const name of ALL.filter((n) => only.includes(n))) {
  log(`${name}: starting`)
  const t = performance.now()
  try {
    results[name] = await steps[name]()
  } catch (error) {
    results.errors[name] = error?.stack ?? String(error)
    log(`${name}: FAILED: ${error?.stack ?? error}`)
  }
  log(`${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
}
meta.loadAverageAtEnd = os.loadavg()
meta.seconds = (performance.now() - started) / 1000

const rows = tableRows(results)
results.table = rows
console.log(`\n${textTable(rows)}\n`)
const json = `${JSON.stringify(results, null, 1)}\n`
const svg = renderChart(results)
writeFileSync(here('results/latest.json'), json)
writeFileSync(here('results/latest.svg'), svg)
log('wrote bench/results/latest.json and bench/results/latest.svg')

if (complete && Object.keys(results.errors).length === 0) {
  writeFileSync(here('results/full.json'), json)
  writeFileSync(here('chart.svg'), svg)
  const readme = readFileSync(here('README.md'), 'utf8')
  const against = candidate ? '; `candidate` is another build, given with --candidate' : ''
  const block = `<!-- results:start -->\n${meta.date} UTC, ${meta.cpus}× ${meta.cpuModel}, ${meta.memoryGB} GB, node ${meta.node}, load average ${meta.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')} at the start and ${meta.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' ')} at the end; ${meta.seconds.toFixed(0)} s${against}.\n\n${markdownTable(rows)}\n<!-- results:end -->`
  writeFileSync(here('README.md'), readme.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, block))
  log('wrote bench/results/full.json, bench/chart.svg and the table in bench/README.md')
}

if (Object.keys(results.errors).length) {
  console.error(`benchmarks that crashed: ${Object.keys(results.errors).join(', ')}`)
  process.exit(1)
}
