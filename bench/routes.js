// Route sets of realistic shapes (multi-tenant rooms, boards, chats, game lobbies, per-user
// channels, document trees) and the names looked up in them: hits, and misses of three kinds
// (a known prefix with the wrong tail, an unknown id, an unknown first segment).
import { prng } from './stats.js'

const SHAPES = [
  { path: (k) => `/tenant${k}/room/:roomId`, hit: (k, v) => `/tenant${k}/room/${v}`, miss: (k) => `/tenant${k}/lobby/7` },
  { path: (k) => `/org/o${k}/project/:projectId/board/:boardId`, hit: (k, v) => `/org/o${k}/project/${v}/board/b${v}`, miss: (k) => `/org/o${k}/project/1/members` },
  { path: (k) => `/category/c${k}/item/:itemId/chat`, hit: (k, v) => `/category/c${k}/item/${v}/chat`, miss: (k) => `/category/c${k}/item/1/video` },
  { path: (k) => `/game/g${k}/match/:matchId/spectate`, hit: (k, v) => `/game/g${k}/match/${v}/spectate`, miss: (k) => `/game/g${k}/match/1/replay` },
  { path: (k) => `/user/u${k}/notifications`, hit: (k) => `/user/u${k}/notifications`, miss: (k) => `/user/u${k}/settings` },
  { path: (k) => `/docs/d${k}/*`, hit: (k, v) => `/docs/d${k}/${v}/intro`, miss: (k) => `/docs/x${k}/intro` },
]

/** `count` routes, each `{ name, path }` in the router's syntax (`:param`, trailing `*`). */
export function makeRoutes(count) {
  return Array.from({ length: count }, (_, i) => ({ name: `r${i}`, path: SHAPES[i % SHAPES.length].path(i) }))
}

/** `count` hits and `count` misses of a set of `routeCount` routes, in a fixed random order. */
export function makeLookups(routeCount, count, start = 42) {
  const random = prng(start + routeCount)
  const value = () => Math.floor(random() * 0xffffff).toString(16)
  const pick = () => Math.floor(random() * routeCount)
  const hits = []
  const misses = []
  for (let j = 0; j < count; j++) {
    const i = pick()
    hits.push(SHAPES[i % SHAPES.length].hit(i, value()))
    const kind = j % 3
    const k = pick()
    if (kind === 0) misses.push(SHAPES[k % SHAPES.length].miss(k))
    // An id just past the set: same shape, unknown tenant.
    else if (kind === 1) misses.push(SHAPES[k % SHAPES.length].hit(k + routeCount * 6, value()))
    else misses.push(`/nope${k}/${value()}/x`)
  }
  return { hits, misses }
}

/** The same pattern in other routers' syntax. */
export const syntax = {
  rou3: (path) => path.replace(/\/\*$/, '/**:rest'),
  pathToRegexp: (path) => path.replace(/\/\*$/, '/*rest'),
  // What a user of the io-handler snippet would write: one RegExp per route, tried in order.
  regexp: (path) =>
    new RegExp(`^${path.replace(/\/\*$/, '/(.+)').replace(/:[A-Za-z_]\w*/g, '([^/]+)')}$`),
}
