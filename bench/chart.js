// The chart of a run as a dependency-free SVG: ratios against the floor, match cost against route
// count, heap against namespaces churned, and the scale ratios. Four panels in a 2 × 2 grid.
const W = 1000
const H = 760
const PANEL = { w: 470, h: 350 }
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const text = (x, y, s, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`
const line = (x1, y1, x2, y2, attrs = '') => `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`
const fin = (v) => Number.isFinite(v)

/** Maps a value range onto pixels, linearly or on a log10 scale. */
function scale([d0, d1], [r0, r1], log = false) {
  const f = log ? Math.log10 : (v) => v
  return (v) => r0 + ((f(v) - f(d0)) / (f(d1) - f(d0))) * (r1 - r0)
}

function frame(x, y, title, body) {
  return `<g transform="translate(${x},${y})">${text(0, 16, title, 'font-weight="bold" font-size="14"')}${body}</g>`
}

// Horizontal bars of ratios with min–max whiskers and target lines.
function ratioBars(rows, { domain, targets, note }) {
  const left = 150
  const top = 56
  const width = PANEL.w - left - 20
  const rowH = Math.min(22, (PANEL.h - top - 40) / Math.max(rows.length, 1))
  const x = scale(domain, [left, left + width])
  const parts = []
  const step = domain[1] - domain[0] > 0.8 ? 0.2 : 0.1
  for (let v = Math.ceil(domain[0] / step) * step; v <= domain[1] + 1e-9; v += step) {
    // 1.0 is the floor itself: drawn darker.
    const stroke = Math.abs(v - 1) < 1e-9 ? '#888' : '#ddd'
    parts.push(line(x(v), top - 4, x(v), top + rows.length * rowH, `stroke="${stroke}"`), text(x(v), top + rows.length * rowH + 14, v.toFixed(1), 'font-size="10" text-anchor="middle"'))
  }
  targets.forEach(({ value, label, color }, i) => {
    const labelY = top - 8 - i * 11
    parts.push(line(x(value), labelY + 2, x(value), top + rows.length * rowH, `stroke="${color}" stroke-dasharray="4 3"`), text(x(value) + 3, labelY, label, `font-size="10" fill="${color}"`))
  })
  rows.forEach((row, i) => {
    const y = top + i * rowH
    parts.push(text(left - 6, y + rowH * 0.7, row.label, 'font-size="11" text-anchor="end"'))
    row.bars.forEach((bar, j) => {
      if (!fin(bar.median)) return
      const h = (rowH - 4) / row.bars.length
      const by = y + 2 + j * h
      const clamp = (v) => Math.max(domain[0], Math.min(domain[1], v))
      parts.push(`<rect x="${x(domain[0]).toFixed(1)}" y="${by.toFixed(1)}" width="${(x(clamp(bar.median)) - x(domain[0])).toFixed(1)}" height="${(h - 1).toFixed(1)}" fill="${bar.color}" opacity="0.8"/>`)
      parts.push(line(x(clamp(bar.min)), by + h / 2, x(clamp(bar.max)), by + h / 2, 'stroke="#000" stroke-width="1"'))
    })
  })
  if (note) parts.push(text(0, PANEL.h - 4, note, 'font-size="10" fill="#555"'))
  return parts.join('')
}

// Lines of (x, y) points, on log or linear axes, with a legend.
function lines(series, { xLog, yLog, xLabel, yLabel, xTicks, yTicks, note }) {
  const left = 60
  const top = 34
  const width = PANEL.w - left - 150
  const height = PANEL.h - top - 50
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter(fin)
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(fin)
  const xd = [Math.min(...xs), Math.max(...xs)]
  const yd = yLog ? [10 ** Math.floor(Math.log10(Math.min(...ys))), 10 ** Math.ceil(Math.log10(Math.max(...ys)))] : [0, Math.max(...ys) * 1.1 || 1]
  const x = scale(xd, [left, left + width], xLog)
  const y = scale(yd, [top + height, top], yLog)
  const parts = [line(left, top + height, left + width, top + height, 'stroke="#000"'), line(left, top, left, top + height, 'stroke="#000"')]
  for (const v of xTicks ?? xd) parts.push(line(x(v), top + height, x(v), top + height + 4, 'stroke="#000"'), text(x(v), top + height + 16, v.toLocaleString('en-US'), 'font-size="10" text-anchor="middle"'))
  const yt = yTicks ?? (yLog ? Array.from({ length: Math.round(Math.log10(yd[1] / yd[0])) + 1 }, (_, i) => yd[0] * 10 ** i) : [0, yd[1] / 2, yd[1]])
  for (const v of yt) parts.push(line(left, y(v), left + width, y(v), 'stroke="#eee"'), text(left - 4, y(v) + 3, v >= 1e6 ? `${v / 1e6}M` : v >= 1000 ? `${v / 1000}k` : +v.toPrecision(3), 'font-size="10" text-anchor="end"'))
  parts.push(text(left + width / 2, top + height + 32, xLabel, 'font-size="11" text-anchor="middle"'), text(12, top + height / 2, yLabel, `font-size="11" text-anchor="middle" transform="rotate(-90 12 ${top + height / 2})"`))
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length]
    const pts = s.points.filter((p) => fin(p[0]) && fin(p[1]))
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="${s.bold ? 3 : 1.5}" points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`)
    for (const p of pts) parts.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="2.5" fill="${color}"/>`)
    parts.push(line(left + width + 10, top + 8 + i * 16, left + width + 26, top + 8 + i * 16, `stroke="${color}" stroke-width="${s.bold ? 3 : 1.5}"`), text(left + width + 30, top + 12 + i * 16, s.label, 'font-size="11"'))
  })
  if (note) parts.push(text(0, PANEL.h - 4, note, 'font-size="10" fill="#555"'))
  return parts.join('')
}

export function renderChart(results) {
  const panels = []
  const { connect, match, churn, scale: scaleResult } = results

  if (connect?.length) {
    const rows = []
    for (const c of connect) {
      for (const [variant, v] of Object.entries(c.variants)) {
        if (variant === 'floor') continue
        rows.push({
          label: `${c.generation} clients, M=${c.namespaces}: ${variant}`,
          bars: [
            { ...v.cpuVsFloor, color: COLORS[0] },
            { ...v.latencyVsFloor, color: COLORS[1] },
          ],
        })
      }
    }
    const all = rows.flatMap((r) => r.bars.flatMap((b) => [b.min, b.max])).filter(fin)
    const domain = [Math.min(0.6, Math.floor(Math.min(...all) * 10) / 10), Math.max(1.2, Math.ceil(Math.max(...all) * 10) / 10)]
    panels.push(['1. Connection cost vs floor (higher is better)', ratioBars(rows, {
      domain,
      targets: [{ value: 0.97, label: 'v4 0.97', color: '#d62728' }, { value: 0.95, label: 'v2 0.95', color: '#9467bd' }],
      note: `blue: server CPU per connection, floor ÷ variant; orange: p50 latency, floor ÷ variant; ${connect[0].rounds} rounds; targets for M < clients (at M = clients every connection creates its namespace)`,
    })])
  }

  if (match?.results?.length) {
    const names = Object.keys(match.results[0].contenders)
    const series = names.map((name) => ({ label: name, bold: name === 'router', points: match.results.map((r) => [r.size, r.contenders[name].mixedNs.median]) }))
    panels.push(['2. Match cost vs route count (ns/lookup, log-log)', lines(series, {
      xLog: true, yLog: true, xLabel: 'routes', yLabel: 'ns per lookup (½ hits, ½ misses)', xTicks: match.sizes,
      note: `router ${match.growth.router.to}/${match.growth.router.from} routes: ${match.growth.router.mixed.median.toFixed(2)}× (target ≤ 2); median of ${match.rounds} rounds`,
    })])
  }

  if (churn?.runs) {
    const series = []
    for (const [variant, runs] of Object.entries(churn.runs)) {
      const run = runs[0]
      if (!run) continue
      series.push({ label: `${variant} heap`, bold: variant === 'router', color: { router: COLORS[0], snippet: COLORS[3] }[variant] ?? COLORS[2], points: run.points.map((p) => [p.done, p.heapUsed / 2 ** 20]) })
    }
    const router = churn.runs.router?.[0]
    const snippet = churn.runs.snippet?.[0]
    panels.push(['3. Namespace churn: server heap after GC (MB)', lines(series, {
      xLabel: 'namespaces created, emptied (and removed, for the router)', yLabel: 'heap used, MB',
      note: `live after: router ${router?.liveNamespacesAfter ?? 'n/a'}, snippet ${snippet?.liveNamespacesAfter ?? 'n/a'}; heap growth router ${router ? router.heapGrowthMB.toFixed(2) : 'n/a'} MB (≤ 5), snippet ${snippet ? snippet.heapGrowthMB.toFixed(1) : 'n/a'} MB`,
    })])
  }

  if (scaleResult?.variants) {
    const s = scaleResult
    const routers = Object.keys(s.variants).filter((v) => v !== 'floor')
    const rows = routers.flatMap((v) => [
      { label: `${v}: RSS per socket`, bars: [{ ...s.variants[v].rssRatio, color: COLORS[0] }] },
      { label: `${v}: heap per socket`, bars: [{ ...s.variants[v].heapRatio, color: COLORS[2] }] },
      { label: `${v}: time to connect all`, bars: [{ ...s.variants[v].connectTimeRatio, color: COLORS[1] }] },
    ])
    const all = rows.flatMap((r) => r.bars.flatMap((b) => [b.min, b.max])).filter(fin)
    panels.push([`4. Scale, ${s.sockets.toLocaleString('en-US')} sockets / ${s.namespaces.toLocaleString('en-US')} ns: ÷ floor (lower is better)`, ratioBars(rows, {
      domain: [Math.min(0.8, Math.floor(Math.min(...all) * 10) / 10), Math.max(1.2, Math.ceil(Math.max(...all) * 10) / 10)],
      targets: [{ value: 1.05, label: 'RSS 1.05', color: '#d62728' }],
      note: `failures: ${Object.entries(s.variants).map(([v, x]) => `${v} ${x.failures}`).join(', ')}; RSS/socket: ${Object.entries(s.variants).map(([v, x]) => `${v} ${(x.rssPerSocketBytes.median / 1024).toFixed(1)} KB`).join(', ')}`,
    })])
  }

  const body = panels.map(([title, content], i) => frame(15 + (i % 2) * (PANEL.w + 30), 40 + Math.floor(i / 2) * (PANEL.h + 20), title, content)).join('')
  const subtitle = `${results.meta.quick ? 'quick run' : 'full run'}, ${results.meta.date}, ${results.meta.cpus}× ${results.meta.cpuModel}, node ${results.meta.node}, socket.io ${results.meta.versions['socket.io']}`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${text(15, 22, 'socket.io-ns-router benchmarks', 'font-weight="bold" font-size="16"')}${text(W - 15, 22, subtitle, 'font-size="11" text-anchor="end" fill="#555"')}
${body}
</svg>
`
}
