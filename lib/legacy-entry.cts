// The CommonJS entry of `socket.io-ns-router/legacy`: apps call require('./io-handler')(io), so the module
// itself is the function, still carrying its named export. Built by the CommonJS build only.
import legacy = require('./legacy.js')

const entry = Object.assign(legacy.ioHandler.bind(null), legacy)
export = entry
