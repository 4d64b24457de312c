import t from 'tap'
import { addressKey, clientKeyOf, forwardedFor, type ClientHandshake } from '../lib/client-key.js'
import type { EngineConnection } from '../lib/server-compat.js'
import { startServer } from './helpers/io.js'
import { rawClient } from './helpers/raw.js'

const handshake = (address: string, headers: ClientHandshake['headers'] = {}): ClientHandshake => ({ address, headers, query: {} })

t.test('addressKey: IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', async (t) => {
  t.equal(addressKey(handshake('203.0.113.7')), '203.0.113.7')
  t.equal(addressKey(handshake('::ffff:203.0.113.7')), '203.0.113.7')
  t.equal(addressKey(handshake('2001:db8:1:2:3:4:5:6')), '2001:db8:1:2::/64')
  t.equal(addressKey(handshake('2001:0db8:0001:0002:ffff::1')), '2001:db8:1:2::/64', 'leading zeros dropped')
  t.equal(addressKey(handshake('2001:db8::1')), '2001:db8:0:0::/64', 'a compressed run of zeros')
  t.equal(addressKey(handshake('::1')), '0:0:0:0::/64')
  t.equal(addressKey(handshake('fe80::')), 'fe80:0:0:0::/64')
  t.equal(addressKey(handshake('2001:db8:1:2::5')), addressKey(handshake('2001:db8:1:2:aaaa::9')), 'one /64, one key')
  t.equal(addressKey(handshake('')), '', 'an unknown address is one key of its own')
})

t.test('forwardedFor: the right-most untrusted hop, only from a trusted proxy', async (t) => {
  const key = forwardedFor(['10.0.0.1', '::ffff:10.0.0.2'])
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': '198.51.100.1' })), '198.51.100.1')
  t.equal(key(handshake('::ffff:10.0.0.1', { 'x-forwarded-for': '198.51.100.1' })), '198.51.100.1', 'a mapped proxy address')
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1, 10.0.0.2' })), '198.51.100.1', 'past the trusted hops, no further')
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': ['6.6.6.6', '198.51.100.2'] })), '198.51.100.2', 'a repeated header')
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': '2001:db8:1:2::7' })), '2001:db8:1:2::/64', 'an IPv6 client by its /64')
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': '10.0.0.2' })), '10.0.0.2', 'only proxies: the left-most of them')
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': 'not-an-address, 198.51.100.3' })), '198.51.100.3')
  t.equal(key(handshake('10.0.0.1', { 'x-forwarded-for': 'garbage' })), '10.0.0.1', 'a hop that is no address ends the walk')
  t.equal(key(handshake('10.0.0.1')), '10.0.0.1', 'no header: the proxy itself')
  t.equal(key(handshake('203.0.113.9', { 'x-forwarded-for': '198.51.100.1' })), '203.0.113.9', 'an untrusted sender: its header counts for nothing')
})

t.test('clientKeyOf: the handshake of a real connection; a broken key function falls back to the address', async (t) => {
  const { io, url } = await startServer(t)
  const connections: EngineConnection[] = []
  io.engine.on('connection', (connection: EngineConnection) => connections.push(connection))
  await rawClient(t, url + '', { localAddress: '127.0.0.3', headers: { 'x-tenant': 'acme' } })
  const connection = connections[0]!
  let seen: ClientHandshake | undefined
  t.equal(clientKeyOf(connection, (h) => { seen = h; return String(h.headers['x-tenant']) }), 'acme')
  t.equal(seen?.address, '127.0.0.3')
  t.same(seen?.query, { EIO: '4', transport: 'websocket' })
  t.equal(clientKeyOf(connection, () => { throw new Error('broken') }), '127.0.0.3', 'a throw')
  t.equal(clientKeyOf(connection, () => 42 as unknown as string), '127.0.0.3', 'not a string')
  t.equal(clientKeyOf({ on() {}, removeListener() {}, request: { url: '/x?a=1&a=2&b=3' } }, (h) => JSON.stringify(h)), JSON.stringify({ address: '', headers: {}, query: { a: ['1', '2'], b: '3' } }), 'repeated query keys, and no address')
  t.equal(clientKeyOf({ on() {}, removeListener() {} }, (h) => JSON.stringify(h.query)), '{}', 'no request at all')
  t.equal(clientKeyOf(connection, addressKey), '127.0.0.3', 'the default key, read without a handshake object')
  t.equal(clientKeyOf({ on() {}, removeListener() {}, remoteAddress: '::ffff:203.0.113.7' }, addressKey), '203.0.113.7', 'the default key, IPv4-mapped')
  t.equal(clientKeyOf({ on() {}, removeListener() {} }, addressKey), '', 'the default key, no address')
})
