process.env.NS_ROUTER_BENCH_DIST = '/work/main/bench/.snapshot/esm'
const { runConnect } = await import('./connect.js')
const r = await runConnect({ generations: [process.argv[2] ?? 'v4'], clients: 1000, namespaces: [+(process.argv[3] ?? 100)], rounds: 6, warmup: 200, concurrency: 50 })
for (const c of r) for (const [v, x] of Object.entries(c.variants)) console.log(c.generation, v, 'cps', x.connectionsPerSecond.median.toFixed(0), 'cpu', x.serverCpuMicrosPerConnection.median.toFixed(0), x.runs.map(r => r.serverCpuMicrosPerConnection.toFixed(0)).join(' '), 'tput', x.throughputVsFloor.median.toFixed(3), 'cpuratio', x.cpuVsFloor.median.toFixed(3), `(${x.cpuVsFloor.min.toFixed(3)}-${x.cpuVsFloor.max.toFixed(3)})`)
