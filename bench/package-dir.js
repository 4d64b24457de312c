// A build of this package given as a directory (package.json and dist/): what its "exports" give an
// ESM importer, found as Node would find them for an installed copy.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The file the package in `packageDir` exports to ESM importers of `subpath` ('.', './metrics'), or undefined. */
export function exportedFile(packageDir, subpath) {
  const { exports } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  let target = exports?.[subpath]
  // Conditions nest ({ import: { types, default } }) or not ({ import: './x.js' }).
  while (target && typeof target === 'object') target = target.import ?? target.default
  return typeof target === 'string' ? join(packageDir, target) : undefined
}
