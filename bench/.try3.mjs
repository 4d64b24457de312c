import { runScale } from './scale.js'
const t = performance.now()
const r = await runScale({ sockets: +process.argv[2], namespaces: +process.argv[3], processes: 4, concurrency: 50, rounds: 1, holdMs: 1000, log: console.log })
const { runs, ...rest } = r; console.log(JSON.stringify(rest, null, 1)); console.log(runs.router[0].errors, runs.router[0].clientRssMB)
console.log(((performance.now() - t)/1000).toFixed(1), 's')
