/**
 * `Object.fromEntries`, which Node 10 lacks (it came in Node 12): each key becomes an own property, even
 * `__proto__` (a route may be named so), as `Object.fromEntries` defines them.
 *
 * @example
 * fromEntries(new Map([['chat', 2]])) // { chat: 2 }
 */
export function fromEntries<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const object: Record<string, V> = {}
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  return object
}
