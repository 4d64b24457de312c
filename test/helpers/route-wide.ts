import type { RouteHandle } from '../../lib/route-wide.js'

/** A route-wide operation a test asks a node process to run. */
export interface WideRequest {
  op: 'emit' | 'count' | 'names'
  where?: object
  timeout?: number
  event?: string
  data?: unknown
}

/** Runs a route-wide operation for a node fixture: its result, or the code and message of its error. */
export async function runWide(route: RouteHandle<Record<string, string>>, { op, where, timeout, event, data }: WideRequest): Promise<unknown> {
  let handle = route
  if (where) handle = handle.where(where as Record<string, string>)
  if (timeout) handle = handle.timeout(timeout)
  try {
    return { ok: op === 'emit' ? await handle.emit(event as string, data) : await handle[op]() }
  } catch (error) {
    return { error: { code: (error as { code?: string }).code, message: String(error) } }
  }
}
