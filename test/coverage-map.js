// Pairs each test with its lib/ file: test/x.test.ts covers lib/x.ts, and test/x-aspect.test.ts (one
// aspect of a large file, e.g. router-lifecycle) covers lib/x.ts too. A lib file is covered by its own
// tests only. Tests without a lib twin (dist.test.ts loads the built package) contribute no coverage.
import { existsSync } from 'node:fs'

export default (testFile) => {
  const match = /^test[\\/](.+)\.test\.ts$/.exec(testFile)
  if (!match) return null
  for (let name = match[1]; name; name = name.includes('-') ? name.slice(0, name.lastIndexOf('-')) : '') {
    if (existsSync(`lib/${name}.ts`)) return `lib/${name}.ts`
  }
  return null
}
