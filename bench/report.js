// The table of a run: one row per figure, with its target and whether the median met it. It is a
// report, not a test: a missed target never changes the exit code.
import { fmt, pairedRatios, summary } from './stats.js'

const KB = 1024
const mark = (met) => (met === null ? '' : met ? 'yes' : 'NO')
const range = (s, digits = 1, unit = '') => `${fmt.num(s.median, digits)}${unit} (${fmt.num(s.min, digits)}–${fmt.num(s.max, digits)})`

export function tableRows({ connect, match, churn, scale, redis, memory }) {
  const rows = []
  const row = (section, measurement, result, target = '', met = null) => rows.push({ section, measurement, result, target, met })

  for (const c of connect ?? []) {
    // The issue's targets are for clients joining namespaces. When there are as many namespaces as
    // clients, every connection also creates its namespace, which the floor never pays for: those rows
    // have no target, and compare the router with socket.io's own lazy namespaces (regex) instead.
    const creating = c.namespaces >= c.clients
    const target = c.generation === 'v4' ? 0.97 : 0.95
    const goal = (isRouter) => (isRouter && !creating ? `≥ ${target}` : '')
    const met = (isRouter, ratio) => (isRouter && !creating ? ratio.median >= target : null)
    const where = `${c.generation} clients, ${c.clients} over ${c.namespaces} ns`
    const floor = c.variants.floor
    row('connect', `${where}: floor`, `${fmt.num(floor.serverCpuMicrosPerConnection.median, 0)} µs server CPU and ${fmt.num(floor.latencyP50Ms.median, 1)} ms p50 per connection, ${floor.failures} failed`)
    for (const [variant, v] of Object.entries(c.variants)) {
      if (variant === 'floor') continue
      const isRouter = variant === 'router' || variant === 'candidate'
      row('connect', `${where}: server CPU per connection, floor ÷ ${variant}`, `${fmt.ratio(v.cpuVsFloor)}, ${v.failures} failed`, goal(isRouter), met(isRouter, v.cpuVsFloor))
      row('connect', `${where}: p50 connect + first event, floor ÷ ${variant}`, fmt.ratio(v.latencyVsFloor), goal(isRouter), met(isRouter, v.latencyVsFloor))
      if (variant === 'metrics' && c.variants.router) {
        // Metrics on against off, same rounds: the issue asks for joining within 1 %.
        const of = (name, key) => c.variants[name].runs.map((run) => run[key])
        const cpu = summary(pairedRatios(of('router', 'serverCpuMicrosPerConnection'), of('metrics', 'serverCpuMicrosPerConnection')))
        const latency = summary(pairedRatios(of('router', 'latencyP50Ms'), of('metrics', 'latencyP50Ms')))
        row('connect', `${where}: server CPU per connection, router ÷ router with metrics`, fmt.ratio(cpu), creating ? '' : '≥ 0.99', creating ? null : cpu.median >= 0.99)
        row('connect', `${where}: p50 connect + first event, router ÷ router with metrics`, fmt.ratio(latency), creating ? '' : '≥ 0.99', creating ? null : latency.median >= 0.99)
      }
      if (variant === 'candidate' && c.variants.router) {
        // The A/B of --candidate, same rounds: above 1 means the candidate costs less than the router.
        const of = (name, key) => c.variants[name].runs.map((run) => run[key])
        row('connect', `${where}: server CPU per connection, router ÷ candidate`, fmt.ratio(summary(pairedRatios(of('router', 'serverCpuMicrosPerConnection'), of('candidate', 'serverCpuMicrosPerConnection')))))
        row('connect', `${where}: p50 connect + first event, router ÷ candidate`, fmt.ratio(summary(pairedRatios(of('router', 'latencyP50Ms'), of('candidate', 'latencyP50Ms')))))
      }
      if (isRouter && creating && c.variants.regex) {
        const cpu = (name) => c.variants[name].runs.map((run) => run.serverCpuMicrosPerConnection)
        row('connect', `${where}: server CPU per connection, regex ÷ ${variant} (both create every namespace)`, fmt.ratio(summary(pairedRatios(cpu('regex'), cpu(variant)))))
      }
    }
  }

  if (match) {
    for (const subject of match.subjects) {
      const g = match.growth[subject]
      row('match', `${subject}, ${g.to} routes ÷ ${g.from} routes: hits`, fmt.ratio(g.hits), '≤ 2', g.hits.median <= 2)
      row('match', `${subject}, ${g.to} routes ÷ ${g.from} routes: misses`, fmt.ratio(g.misses), '≤ 2', g.misses.median <= 2)
      row('match', `${subject}, ${g.to} routes ÷ ${g.from} routes: ½ hits ½ misses`, fmt.ratio(g.mixed), '≤ 2', g.mixed.median <= 2)
    }
    const others = Object.entries(match.growth).filter(([name]) => !match.subjects.includes(name))
    row('match', 'the others, same ratio (½ hits ½ misses)', others.map(([name, g]) => `${name} ${fmt.num(g.mixed.median, 2)}`).join('; '))
    for (const r of match.results) {
      const fastest = r.contenders[r.fastest]
      const cost = (c) => `${fmt.num(c.hitNs.median, 0)} / ${fmt.num(c.missNs.median, 0)}`
      row('match', `${r.size} routes: ns per hit / miss`, Object.entries(r.contenders).filter(([, c]) => c.mixedNs.median < 1e5).map(([name, c]) => `${name} ${cost(c)}`).join('; ') + `; linear lists ${Object.entries(r.contenders).filter(([, c]) => c.mixedNs.median >= 1e5).map(([name]) => name).join(', ') || 'none'} over 100 µs`)
      for (const [subject, ratio] of Object.entries(r.vsFastest)) {
        row('match', `${r.size} routes: fastest library (${r.fastest}, ${cost(fastest)}) ns ÷ ${subject} ns`, fmt.ratio(ratio), '≥ 1', ratio.median >= 1)
      }
      const wrong = Object.entries(r.contenders).filter(([, c]) => !c.correct).map(([name]) => name)
      if (wrong.length) row('match', `${r.size} routes: contenders that disagreed on hits/misses`, wrong.join(', '), 'none', false)
    }
  }

  if (churn) {
    for (const [variant, runs] of Object.entries(churn.runs)) {
      runs.forEach((run, i) => {
        const label = `${variant} (run ${i + 1}), ${run.count.toLocaleString('en-US')} namespaces`
        const isRouter = variant !== 'snippet'
        row('churn', `${label}: live namespaces after`, String(run.liveNamespacesAfter), isRouter ? '0' : '', isRouter ? run.liveNamespacesAfter === 0 : null)
        row('churn', `${label}: heap growth`, `${fmt.num(run.heapGrowthMB, 2)} MB`, isRouter ? '≤ 5 MB' : '', isRouter ? run.heapGrowthMB <= 5 : null)
        row('churn', `${label}: RSS growth; failures; rate`, `${fmt.num(run.rssGrowthMB, 1)} MB; ${run.failures}; ${fmt.num(run.namespacesPerSecond, 0)} ns/s`)
      })
    }
  }

  if (scale) {
    const where = `${scale.sockets.toLocaleString('en-US')} sockets over ${scale.namespaces.toLocaleString('en-US')} ns`
    const floor = scale.variants.floor
    const seconds = (s) => ({ median: s.median / 1000, min: s.min / 1000, max: s.max / 1000 })
    row('scale', `${where}: floor`, `${floor.failures} failed, ${fmt.num(floor.rssPerSocketBytes.median / KB, 1)} KB RSS and ${fmt.num(floor.heapPerSocketBytes.median / KB, 1)} KB heap per socket, all connected in ${range(seconds(floor.connectMs), 1, ' s')}`)
    for (const [variant, v] of Object.entries(scale.variants)) {
      if (variant === 'floor') continue
      row('scale', `${where}: ${variant} failures`, String(v.failures), '0', v.failures === 0)
      row('scale', `${where}: ${variant} ÷ floor, RSS per socket`, `${fmt.ratio(v.rssRatio)} (${fmt.num(v.rssPerSocketBytes.median / KB, 1)} KB)`, '≤ 1.05', v.rssRatio.median <= 1.05)
      row('scale', `${where}: ${variant} ÷ floor, heap per socket`, `${fmt.ratio(v.heapRatio)} (${fmt.num(v.heapPerSocketBytes.median / KB, 1)} KB)`)
      row('scale', `${where}: ${variant} ÷ floor, time to connect all`, `${fmt.ratio(v.connectTimeRatio)} (${range(seconds(v.connectMs), 1, ' s')})`)
    }
  }
  if (redis) {
    const [base, ...others] = redis.levels
    const n = (level) => level.toLocaleString('en-US')
    for (const [adapter, a] of Object.entries(redis.adapters)) {
      const costs = redis.levels.map((level) => `${n(level)}: ${range(a.microsPerBroadcast[level], 1, ' µs')}`).join('; ')
      row('redis', `${adapter}: Redis CPU per cross-node broadcast, by live routed namespaces`, costs)
      for (const level of others) {
        // The README recommends the sharded adapter for being flat: ≤ 1.2× from 10 to 10,000.
        const flat = adapter.startsWith('sharded')
        row('redis', `${adapter}: ${n(level)} ÷ ${n(base)} live namespaces`, fmt.ratio(a.ratioToBase[level]), flat ? '≤ 1.2' : '', flat ? a.ratioToBase[level].median <= 1.2 : null)
      }
    }
  }
  if (memory) {
    const where = `${memory.count.toLocaleString('en-US')} namespaces`
    for (const [adapter, m] of Object.entries(memory.adapters)) {
      const name = { memory: 'in-memory adapter', redis: 'classic Redis adapter', 'sharded-static': "sharded Redis adapter ('static')" }[adapter] ?? adapter
      for (const pair of m.pairs) {
        const bytes = (variant) => fmt.num(m.variants[variant].heapPerNamespaceBytes.median, 0)
        const failed = m.variants[pair.router].failures + m.variants[pair.baseline].failures
        row('memory', `${name}, ${where}, ${pair.label}: heap per more namespace, ${pair.router} ÷ ${pair.baseline}`, `${fmt.ratio(pair.ratio)} (${bytes(pair.router)} B ÷ ${bytes(pair.baseline)} B); from the baseline ${fmt.ratio(pair.fromBaseline)}${failed ? `, ${failed} failed` : ''}`, '≤ 1.10', pair.ratio.median <= 1.1)
      }
    }
  }

  return rows
}

export function markdownTable(rows) {
  const lines = ['| | measurement | result: median (min–max) | target | met |', '| --- | --- | --- | --- | --- |']
  for (const r of rows) lines.push(`| ${r.section} | ${r.measurement} | ${r.result} | ${r.target} | ${mark(r.met)} |`)
  return lines.join('\n')
}

export function textTable(rows) {
  const cells = rows.map((r) => [r.section, r.measurement, r.result, r.target, mark(r.met)])
  const header = ['', 'measurement', 'result: median (min–max)', 'target', 'met']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const render = (c) => c.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(render)].join('\n')
}
