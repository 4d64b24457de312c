import { runMatch } from './match.js'
const r = await runMatch({ sizes: [10, 100, 1000, 10000], rounds: 3, minMs: 40, lookups: 512 })
for (const res of r.results) {
  console.log(res.size, 'fastest', res.fastest, 'vsFastest', res.vsFastest.median.toFixed(3))
  for (const [k, v] of Object.entries(res.contenders)) console.log('  ', k.padEnd(18), v.correct, v.buildMs.toFixed(1).padStart(8), 'hit', v.hitNs.median.toFixed(0).padStart(8), 'miss', v.missNs.median.toFixed(0).padStart(8))
}
console.log(r.growth)
