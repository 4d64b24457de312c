import { runChurn } from './churn.js'
const t = performance.now()
const r = await runChurn({ rounds: 1, count: 5000, checkpoints: 5, managers: 4, window: 64, warmup: 500, log: console.log })
for (const run of Object.values(r.runs).flat()) { const { points, before, after, ...rest } = run; console.log(rest) }
console.log(((performance.now() - t)/1000).toFixed(1), 's')
