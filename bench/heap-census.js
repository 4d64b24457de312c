// The heap census heap-diff.js and heap-namespaces.js take before and after what they measure: self size
// and count by object kind (constructor name for objects and closures, the node type otherwise), after
// two full GCs. With `retainers`, also by the first edge that holds each object (its holder's kind and
// the edge's name), to tell apart objects of the same kind.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'

// A census kept on the heap until the next one would be counted in the next one's growth (with retainers,
// its keys alone are kilobytes per namespace): it waits in a file, and is read back only to compare.
const dir = mkdtempSync(join(tmpdir(), 'heap-census-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
let taken = 0

/** Takes a census and puts it aside; `read()` brings it back once nothing more is to be measured. */
export async function census(options) {
  const file = join(dir, `${++taken}.json`)
  writeFileSync(file, JSON.stringify([...(await take(options))]))
  return { read: () => new Map(JSON.parse(readFileSync(file, 'utf8'))) }
}

async function take({ retainers = false, width = 70 } = {}) {
  global.gc()
  global.gc()
  const chunks = []
  for await (const chunk of v8.getHeapSnapshot()) chunks.push(chunk)
  const snapshot = JSON.parse(Buffer.concat(chunks).toString())
  const { node_fields: fields, edge_fields: edgeFields, node_types: nodeTypes, edge_types: edgeTypes } = snapshot.snapshot.meta
  const types = nodeTypes[0]
  const [type, name, size, edgeCount] = ['type', 'name', 'self_size', 'edge_count'].map((f) => fields.indexOf(f))
  const label = (i) => {
    const t = types[snapshot.nodes[i + type]]
    return t === 'object' || t === 'closure' ? `${t} ${snapshot.strings[snapshot.nodes[i + name]]}`.slice(0, width) : t
  }
  const holder = new Map()
  if (retainers) {
    const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f))
    let e = 0
    for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
      for (let k = 0; k < snapshot.nodes[i + edgeCount]; k++, e += edgeFields.length) {
        const to = snapshot.edges[e + eTo]
        const et = edgeTypes[0][snapshot.edges[e + eType]]
        if (holder.has(to) || et === 'weak' || et === 'shortcut') continue
        const n = snapshot.edges[e + eName]
        // Slots of a table (a Map's, a Set's) are internal edges named by their index: one kind for all.
        const edge = et === 'element' || et === 'hidden' ? `[${et}]` : String(snapshot.strings[n])
        holder.set(to, `${label(i)}.${/^\d+$/.test(edge) ? '[slot]' : edge}`)
      }
    }
  }
  const kinds = new Map()
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const key = retainers ? `${label(i)} <- ${holder.get(i)}` : label(i)
    const entry = kinds.get(key) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += snapshot.nodes[i + size]
    kinds.set(key, entry)
  }
  return kinds
}

/** What grew from `before` to `after`, per one of `per` (namespaces, sockets), largest first: [kind, count, bytes]. */
export function growth(earlier, later, per) {
  const [before, after] = [earlier.read(), later.read()]
  const diff = [...after].map(([key, { count, bytes }]) => [key, (count - (before.get(key)?.count ?? 0)) / per, (bytes - (before.get(key)?.bytes ?? 0)) / per])
  return diff.sort((a, b) => b[2] - a[2])
}

/** Prints `title` with the total growth, then the `rows` largest kinds. */
export function printGrowth(title, diff, rows) {
  console.log(`${title}: ${diff.reduce((sum, d) => sum + d[2], 0).toFixed(0)} bytes of heap`)
  for (const [key, count, bytes] of diff.slice(0, rows)) console.log(`${bytes.toFixed(0).padStart(7)} B ${count.toFixed(2).padStart(6)} × ${key}`)
}
