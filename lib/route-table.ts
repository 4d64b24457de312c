/**
 * One segment of a path pattern: a literal, a param (with an optional constraint on its whole value),
 * or the trailing wildcard.
 *
 * @example
 * const segments: Segment[] = [{ kind: 'static', text: 'c' }, { kind: 'param', constraint: /^(?:\d+)$/ }]
 */
export type Segment =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param'; readonly constraint: RegExp | undefined }
  | { readonly kind: 'wildcard' }

/**
 * Path patterns, and the lookup of a name among them.
 *
 * @example
 * const table = createRouteTable<string>(100)
 * table.add([{ kind: 'static', text: 'c' }, { kind: 'param', constraint: undefined }], 'chat')
 * const values: string[] = []
 * table.find('/c/1', values) // 'chat', and values is ['1']
 */
export interface RouteTable<T> {
  /** Adds a pattern; returns the value already added for a pattern that matches the same names, if any. */
  add(segments: readonly Segment[], value: T): T | undefined
  /**
   * The value of the pattern that matches `name`, the most specific first (a literal before a
   * param, a constrained param before a plain one, both before the wildcard, segment by segment from
   * the left). The values of its params and wildcard are pushed onto `values`, in pattern order.
   */
  find(name: string, values: string[]): T | undefined
}

interface Node<T> {
  /** Literals after a param: a few are compared in place, many go to a Map. */
  statics: Static<T>[] | Map<string, Node<T>> | undefined
  /** Constrained params, in the order they were added: tried before the plain one. */
  constrained: { readonly constraint: RegExp; readonly node: Node<T> }[] | undefined
  /** The plain param, kept inline: each object between a prefix and its value is one more cache miss. */
  param: Node<T> | undefined
  wildcard: T | undefined
  value: T | undefined
}

interface Static<T> {
  readonly text: string
  readonly node: Node<T>
}

interface First<T> {
  /** The numbers of leading literals of the patterns this first segment starts, longest first. */
  depths: number[]
  /** The prefix, while it is the only one this first segment starts. */
  only: Prefix<T> | undefined
}

interface Prefix<T> {
  readonly key: string
  readonly node: Node<T>
  /** Another prefix with the same hash. */
  readonly next: Prefix<T> | undefined
}

const SLASH = 47
// Up to this many literals at one place are compared in turn, in place; past it a Map keeps the lookup
// flat, at the price of slicing and hashing the segment.
const FEW = 8

/**
 * Creates an empty {@link RouteTable}. Params longer than `maxParamLength` match nothing.
 *
 * Every pattern's leading literals (`/tenant7/room` in `/tenant7/room/:roomId`) are one key of a single
 * hash table; only what follows them is a trie. One pass over the name hashes its prefixes, and the
 * table is probed at the lengths patterns with the same first segment have, longest first: the order
 * of a trie walked literals first with backtracking, touching one entry where a trie touches a node per
 * segment. With 10,000 routes those nodes no longer fit in the CPU's caches, and missing them was most
 * of a trie's lookup (bench/README.md).
 *
 * @example
 * const table = createRouteTable<string>(100)
 */
export function createRouteTable<T>(maxParamLength: number): RouteTable<T> {
  const prefixes = new Map<number, Prefix<T>>()
  const firsts = new Map<number, First<T>>()
  // Patterns that start with a param or the wildcard: tried after any leading literals.
  let root: Node<T> | undefined
  // Where each of a name's first segments ends, and the hash of the name up to there (index 1 for the
  // first segment): reused across lookups.
  const ends: number[] = []
  const hashes: number[] = []

  // One string per distinct literal after a param ('board', 'chat'), whatever the number of routes
  // using it: comparing against a shared string stays in cache.
  const texts = new Map<string, string>()
  const intern = (segment: Segment): Segment => {
    if (segment.kind !== 'static') return segment
    let text = texts.get(segment.text)
    if (text === undefined) texts.set(segment.text, (text = segment.text))
    return { kind: 'static', text }
  }

  const fromRoot = (name: string, values: string[]): T | undefined => (root === undefined ? undefined : walk(root, name, 1, values, maxParamLength))
  const rest = (node: Node<T>, name: string, end: number, values: string[]): T | undefined =>
    end === name.length ? node.value : walk(node, name, end + 1, values, maxParamLength)

  return {
    add(segments, value) {
      let depth = 0
      while (depth < segments.length && segments[depth]?.kind === 'static') depth++
      if (depth === 0) return insert((root ??= createNode()), segments.map(intern), value)
      const key = segments
        .slice(0, depth)
        .map((segment) => `/${(segment as { text: string }).text}`)
        .join('')
      const hash = hashOf(key, key.length)
      let prefix = prefixes.get(hash)
      while (prefix !== undefined && prefix.key !== key) prefix = prefix.next
      if (prefix === undefined) {
        prefix = { key, node: createNode(), next: prefixes.get(hash) }
        prefixes.set(hash, prefix)
        const firstHash = hashOf(key, (segments[0] as { text: string }).text.length + 1)
        const first = firsts.get(firstHash)
        if (first === undefined) firsts.set(firstHash, { depths: [depth], only: prefix })
        else {
          first.only = undefined
          if (!first.depths.includes(depth)) first.depths = [...first.depths, depth].sort((x, y) => y - x)
        }
      }
      return insert(prefix.node, segments.slice(depth).map(intern), value)
    },
    find(name, values) {
      if (name.charCodeAt(0) !== SLASH) return undefined
      let hash = mix(SEED, SLASH)
      let i = 1
      for (; i < name.length; i++) {
        const code = name.charCodeAt(i)
        if (code === SLASH) break
        hash = mix(hash, code)
      }
      const first = firsts.get(hash)
      if (first === undefined) return fromRoot(name, values)
      const only = first.only
      if (only !== undefined) {
        // The common case, one prefix for this first segment: compared as it is, nothing more to hash.
        const end = only.key.length
        if (end <= name.length && (end === name.length || name.charCodeAt(end) === SLASH) && name.lastIndexOf(only.key, 0) === 0) {
          const found = rest(only.node, name, end, values)
          if (found !== undefined) return found
        }
        return fromRoot(name, values)
      }
      ends[1] = i
      hashes[1] = hash
      const depths = first.depths
      // Hash only as far as the deepest prefix this first segment starts.
      const deepest = depths[0] as number
      let count = 1
      while (count < deepest && i < name.length) {
        hash = mix(hash, SLASH)
        for (i++; i < name.length; i++) {
          const code = name.charCodeAt(i)
          if (code === SLASH) break
          hash = mix(hash, code)
        }
        ends[++count] = i
        hashes[count] = hash
      }
      for (const depth of depths) {
        if (depth > count) continue
        const end = ends[depth] as number
        let prefix = prefixes.get(hashes[depth] as number)
        // A hash is only a hint: the prefix itself must be the name's.
        while (prefix !== undefined && !(prefix.key.length === end && name.lastIndexOf(prefix.key, 0) === 0)) prefix = prefix.next
        if (prefix === undefined) continue
        const found = rest(prefix.node, name, end, values)
        if (found !== undefined) return found
      }
      return fromRoot(name, values)
    },
  }
}

function walk<T>(node: Node<T>, name: string, start: number, values: string[], maxParamLength: number): T | undefined {
  let end = name.indexOf('/', start)
  const last = end === -1
  if (last) end = name.length
  const statics = node.statics
  if (statics !== undefined) {
    const next = Array.isArray(statics) ? findStatic(statics, name, start, end) : statics.get(name.slice(start, end))
    if (next !== undefined) {
      const found = last ? next.value : walk(next, name, end + 1, values, maxParamLength)
      if (found !== undefined) return found
    }
  }
  if ((node.param !== undefined || node.constrained !== undefined) && end > start && end - start <= maxParamLength) {
    const value = name.slice(start, end)
    values.push(value)
    if (node.constrained !== undefined) {
      for (const { constraint, node: next } of node.constrained) {
        if (!constraint.test(value)) continue
        const found = last ? next.value : walk(next, name, end + 1, values, maxParamLength)
        if (found !== undefined) return found
      }
    }
    if (node.param !== undefined) {
      const found = last ? node.param.value : walk(node.param, name, end + 1, values, maxParamLength)
      if (found !== undefined) return found
    }
    values.pop()
  }
  if (node.wildcard !== undefined && start < name.length) {
    values.push(name.slice(start))
    return node.wildcard
  }
  return undefined
}

function findStatic<T>(statics: readonly Static<T>[], name: string, start: number, end: number): Node<T> | undefined {
  const length = end - start
  for (const { text, node } of statics) {
    if (text.length !== length) continue
    let i = 0
    while (i < length && text.charCodeAt(i) === name.charCodeAt(start + i)) i++
    if (i === length) return node
  }
  return undefined
}

// FNV-1a over UTF-16 code units, kept to 30 bits so that V8 stores it as a small integer. A collision
// costs a comparison, never a wrong match, and clients cannot add entries to collide with.
const SEED = 0x811c9dc5 & 0x3fffffff
function mix(hash: number, code: number): number {
  return Math.imul(hash ^ code, 16777619) & 0x3fffffff
}
function hashOf(text: string, length: number): number {
  let hash = SEED
  for (let i = 0; i < length; i++) hash = mix(hash, text.charCodeAt(i))
  return hash
}

function createNode<T>(): Node<T> {
  return { statics: undefined, constrained: undefined, param: undefined, wildcard: undefined, value: undefined }
}

// Two patterns that end on the same node match the same names: the same literals, and params with
// the same constraint in the same places.
function insert<T>(start: Node<T>, segments: readonly Segment[], value: T): T | undefined {
  let node = start
  for (const segment of segments) {
    if (segment.kind === 'wildcard') {
      if (node.wildcard !== undefined) return node.wildcard
      node.wildcard = value
      return undefined
    }
    if (segment.kind === 'static') {
      node = staticChild(node, segment.text)
      continue
    }
    if (segment.constraint === undefined) {
      node = node.param ??= createNode()
      continue
    }
    const source = segment.constraint.source
    const constrained = (node.constrained ??= [])
    let edge = constrained.find((param) => param.constraint.source === source)
    if (!edge) constrained.push((edge = { constraint: segment.constraint, node: createNode() }))
    node = edge.node
  }
  if (node.value !== undefined) return node.value
  node.value = value
  return undefined
}

function staticChild<T>(node: Node<T>, text: string): Node<T> {
  const statics = (node.statics ??= [])
  if (Array.isArray(statics)) {
    const found = statics.find((entry) => entry.text === text)
    if (found) return found.node
    const child = createNode<T>()
    if (statics.length < FEW) statics.push({ text, node: child })
    else node.statics = new Map([...statics.map((entry): [string, Node<T>] => [entry.text, entry.node]), [text, child]])
    return child
  }
  let child = statics.get(text)
  if (!child) statics.set(text, (child = createNode()))
  return child
}
