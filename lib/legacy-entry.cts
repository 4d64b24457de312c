// The CommonJS entry of `socket.io-ns-router/legacy`, built by the CommonJS build only (dist/cjs/legacy-entry.cjs).
import legacy = require('./legacy.js')

/**
 * Apps call `require('./io-handler')(io)`, so the module itself is the function, still carrying its named
 * export (a bound copy: `ioHandler` itself stays a plain function).
 *
 * @example
 * const ee = require('socket.io-ns-router/legacy')(io, { chat: /category\/(\d+)\/item\/(\d+)\/chat/ })
 * const { ioHandler } = require('socket.io-ns-router/legacy')
 */
const entry = Object.assign(legacy.ioHandler.bind(null), legacy)
export = entry
