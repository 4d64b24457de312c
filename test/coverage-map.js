// Pairs each test with the lib/ file of the same name: a lib file is covered by its own test only.
// Tests without a lib twin (dist.test.ts loads the built package) contribute no coverage.
export default (testFile) => {
  const match = /^test[\\/](.+)\.test\.ts$/.exec(testFile)
  return match && match[1] !== 'dist' ? `lib/${match[1]}.ts` : null
}
