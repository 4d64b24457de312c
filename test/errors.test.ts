import t from 'tap'
import { codes, NamespaceRouterError, RefusalError } from '../lib/errors.js'

t.test('codes are stable strings: ERR_ for the server, NS_ for clients', async (t) => {
  // These strings are the contract with clients and apps: changing one is a breaking change.
  t.same(codes, {
    ROUTE_PATTERN: 'ERR_ROUTE_PATTERN',
    ROUTE_DUPLICATE: 'ERR_ROUTE_DUPLICATE',
    ROUTE_UNSAFE_REGEX: 'ERR_ROUTE_UNSAFE_REGEX',
    ROUTE_NAME: 'ERR_ROUTE_NAME',
    OPTIONS: 'ERR_ROUTER_OPTIONS',
    REVERSE_ROUTE: 'ERR_REVERSE_ROUTE',
    NAMESPACE_LIMIT: 'ERR_NAMESPACE_LIMIT',
    CLOSED: 'ERR_ROUTER_CLOSED',
    UNKNOWN_ROUTE: 'ERR_UNKNOWN_ROUTE',
    NODES_UNREACHABLE: 'ERR_NODES_UNREACHABLE',
    MIXED_CLUSTER: 'ERR_MIXED_CLUSTER',
    INVALID_NAME: 'NS_INVALID_NAME',
    NO_ROUTE: 'NS_NO_ROUTE',
    QUERY_MISSING: 'NS_QUERY_MISSING',
    QUERY_INVALID: 'NS_QUERY_INVALID',
    UNAVAILABLE: 'NS_UNAVAILABLE',
    LIMIT: 'NS_LIMIT',
    CONNECTION_LIMIT: 'NS_CONNECTION_LIMIT',
    CLIENT_LIMIT: 'NS_CLIENT_LIMIT',
    FORBIDDEN: 'NS_FORBIDDEN',
  })
  for (const code of Object.values(codes)) t.match(code, /^(ERR|NS)_[A-Z_]+$/)
})

t.test('NamespaceRouterError carries a code and a cause', async (t) => {
  const cause = new Error('inner')
  const error = new NamespaceRouterError(codes.ROUTE_PATTERN, 'bad', { cause })
  t.ok(error instanceof Error)
  t.equal(error.name, 'NamespaceRouterError')
  t.equal(error.code, 'ERR_ROUTE_PATTERN')
  t.equal(error.cause, cause)
})

t.test('RefusalError puts code and message in data, which socket.io forwards', async (t) => {
  const error = new RefusalError(codes.FORBIDDEN, 'no')
  t.ok(error instanceof NamespaceRouterError)
  t.equal(error.name, 'RefusalError')
  t.same(error.data, { code: 'NS_FORBIDDEN', message: 'no' })
})
