import t from 'tap'
import { codes } from '../lib/errors.js'
import { addressKey } from '../lib/client-key.js'
import { systemClock } from '../lib/clock.js'
import { DEFAULTS, resolveOptions } from '../lib/options.js'

t.test('defaults', async (t) => {
  t.same(resolveOptions({}), DEFAULTS)
  t.same(DEFAULTS, {
    query: 'ns',
    unmatched: 'ignore',
    maxNameLength: 256,
    maxParamLength: 100,
    emptyNamespaceTtlMs: 30_000,
    maxNamespaces: 10_000,
    maxNamespacesPerConnection: 128,
    maxNamespacesPerClient: 256,
    clientKey: addressKey,
    allowUnsafeRegex: false,
    clock: systemClock,
  })
  t.same(resolveOptions({ query: undefined, emptyNamespaceTtlMs: undefined }), DEFAULTS, 'undefined means the default')
})

t.test('accepted values', async (t) => {
  const options = {
    query: 'room',
    unmatched: 'refuse',
    maxNameLength: 2,
    maxParamLength: 1,
    emptyNamespaceTtlMs: false,
    maxNamespaces: Infinity,
    maxNamespacesPerConnection: Infinity,
    maxNamespacesPerClient: 0,
    clientKey: () => 'everyone',
    allowUnsafeRegex: true,
    clock: { now: () => 0, setTimeout: () => 1, clearTimeout: () => {} },
  } as const
  t.same(resolveOptions(options), options)
  t.equal(resolveOptions({ emptyNamespaceTtlMs: 0, maxNamespaces: 0 }).maxNamespaces, 0)
})

t.test('rejected values throw ERR_ROUTER_OPTIONS', async (t) => {
  const bad: Record<string, unknown>[] = [
    { query: '' },
    { query: 1 },
    { unmatched: 'drop' },
    { maxNameLength: 1 },
    { maxNameLength: 2.5 },
    { maxParamLength: 0 },
    { maxNamespacesPerConnection: 0 },
    { maxNamespacesPerConnection: 1.5 },
    { maxNamespacesPerClient: -1 },
    { maxNamespacesPerClient: '9' },
    { clientKey: 'address' },
    { emptyNamespaceTtlMs: -1 },
    { emptyNamespaceTtlMs: 1.5 },
    { emptyNamespaceTtlMs: true },
    { emptyNamespaceTtlMs: 2 ** 31 },
    { maxNamespaces: -1 },
    { maxNamespaces: NaN },
    { allowUnsafeRegex: 'yes' },
    { clock: Date },
    { clock: null },
    { clock: { now: () => 0, setTimeout: () => 1 } },
  ]
  for (const options of bad) t.throws(() => resolveOptions(options as never), { code: codes.OPTIONS }, JSON.stringify(options))
})
