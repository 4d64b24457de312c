import retDefault from 'ret'
import type { Root, Token, Tokens, types as TokenTypes } from 'ret'

// ret 0.5 ships `export default` types for a CommonJS module whose `module.exports` is the tokenizer:
// under `module: nodenext` its default import type-checks as the module object while it runs as the
// function (the same mismatch as mitt's). One cast, here.
const ret = retDefault as unknown as ((source: string) => Root) & { types: typeof TokenTypes }

/** More quantifiers than this in one RegExp counts as unsafe, as safe-regex2 counts them. */
const MAX_REPETITIONS = 25

/**
 * Whether a RegExp is free of the shapes prone to catastrophic backtracking: a quantifier inside a
 * quantified group (star height above 1, alternatives included) or more than 25 quantifiers. Same rule as
 * safe-regex2, whose releases since 4.0 need Node 14 (optional chaining): this check runs on Node 10.
 * A source that ret cannot parse is unsafe.
 *
 * @example
 * isSafeRegex(/category\/(\d+)\/item\/(\d+)\/chat/) // true
 * isSafeRegex(/^(a+)+$/) // false
 * isSafeRegex(/(\d+|x)*y/) // false
 */
export function isSafeRegex(regexp: RegExp): boolean {
  let root: Root
  try {
    root = ret(regexp.source)
  } catch {
    return false
  }
  let repetitions = 0
  const safe = (token: Tokens, height: number): boolean => {
    if (token.type === ret.types.REPETITION) {
      repetitions++
      if (++height > 1 || repetitions > MAX_REPETITIONS) return false
    }
    // A quantifier's operand is a group, or a single token with nothing inside.
    const inner = token.type === ret.types.REPETITION ? token.value : token
    if (inner.type !== ret.types.ROOT && inner.type !== ret.types.GROUP) return true
    // ret gives a group (and the root) either alternatives or one stack.
    const lists: Token[][] = inner.options ?? [inner.stack!]
    return lists.every((list) => list.every((child) => safe(child, height)))
  }
  return safe(root, 0)
}
