import fc from 'fast-check'
import safeRegex2 from 'safe-regex2'
import t from 'tap'
import { isSafeRegex } from '../lib/regex-safety.js'

t.test('nested quantifiers, in groups or alternatives, are unsafe; flat ones are safe', async (t) => {
  for (const safe of [/category\/(\d+)\/item\/(\d+)\/chat/, /^\/(?:a|b)*c$/, /(a|aa)+$/, /a{1,30}/, /^[a-z]+(?:-[a-z])?$/, /x/]) {
    t.equal(isSafeRegex(safe), true, String(safe))
  }
  for (const unsafe of [/^(a+)+$/, /^(\w+\s?)*$/, /((a|b)+)+/, /(x+x+)+y/, /(\d+|x)*y/, /^(?:a|b+)+$/, /(a?)*/, /^[a-z]+(?:-[a-z]+)?$/]) {
    t.equal(isSafeRegex(unsafe), false, String(unsafe))
  }
  t.equal(safeRegex2(/^[a-z]+(?:-[a-z]+)?$/), false, 'an optional group counts as a quantifier, in safe-regex2 too')
})

t.test('more than 25 quantifiers is unsafe', async (t) => {
  t.equal(isSafeRegex(new RegExp('a+'.repeat(25))), true)
  t.equal(isSafeRegex(new RegExp('a+'.repeat(26))), false)
})

t.test('a source the tokenizer cannot read is unsafe', async (t) => {
  // Lookbehinds are valid JavaScript that ret 0.5 does not parse: refused, as safe-regex2 refuses them.
  const lookbehind = /(?<=a)b/
  t.equal(isSafeRegex(lookbehind), false)
  t.equal(safeRegex2(lookbehind), false)
})

t.test('same verdict as safe-regex2 on generated RegExps', async (t) => {
  const piece = fc.constantFrom('a', 'b', '\\d', '[ab]', '(', '(?:', ')', '|', '*', '+', '?', '{2,3}', '^', '$')
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => {
      let regexp: RegExp
      try {
        regexp = new RegExp(pieces.join(''))
      } catch {
        return true
      }
      return isSafeRegex(regexp) === safeRegex2(regexp)
    }),
    { numRuns: 5000 },
  )
  t.pass('5000 generated RegExps agree')
})
