// Summaries of repeated samples. The machines are small and shared, so every figure is a median
// with its min and max, and comparisons are paired ratios from the same round.

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function quantile(values, q) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

export function summary(values) {
  const finite = values.filter(Number.isFinite)
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    n: finite.length,
  }
}

/** Element-wise ratios of two equally long series (round i of one against round i of the other). */
export function pairedRatios(numerators, denominators) {
  return numerators.map((value, i) => value / denominators[i])
}

/** The order of the variants in round `round`: rotated, and reversed every other round (ABBA-like). */
export function roundOrder(variants, round) {
  const shift = round % variants.length
  const rotated = [...variants.slice(shift), ...variants.slice(0, shift)]
  return Math.floor(round / variants.length) % 2 ? rotated.reverse() : rotated
}

/** A small deterministic PRNG (mulberry32): the same route sets and lookups in every run. */
export function prng(start) {
  let state = start >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const fmt = {
  ratio: (s) => (Number.isFinite(s.median) ? `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})` : 'n/a'),
  num: (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a'),
}
