import mittDefault from 'mitt'
import type { Emitter, EventType } from 'mitt'

type MittFactory = <Events extends Record<EventType, unknown>>() => Emitter<Events>

// mitt 3.0.1 ships CommonJS-style types without "type": under `module: nodenext` its default import
// type-checks as the module object (developit/mitt#191) while it runs as the factory. One cast, here.
const mitt = mittDefault as unknown as MittFactory

/**
 * Creates a typed mitt emitter.
 *
 * @example
 * const emitter = createEmitter<{ ping: { at: number } }>()
 * emitter.on('ping', ({ at }) => at)
 */
export function createEmitter<Events extends Record<EventType, unknown>>(): Emitter<Events> {
  return mitt<Events>()
}
