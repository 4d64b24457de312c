// The chat page of both client generations: window.CLIENT says which bundle the page loaded.
const params = new URLSearchParams(location.search)
const namespace = params.get('ns') || '/category/1/item/2/chat'
const name = params.get('name') || 'guest'
const $ = (id) => document.getElementById(id)
const log = (text, css) => {
  const line = document.createElement('div')
  line.textContent = text
  if (css) line.className = css
  $('log').append(line)
  $('log').scrollTop = $('log').scrollHeight
}
$('title').textContent = namespace

const serverIoUrl = location.origin
// v2: the io-handler snippet's own frontend snippet, `${serverIoUrl}/${namespace}` with ns in the query.
// v4: straight to the namespace, the name in the auth payload.
const socket = window.CLIENT === 'v2'
  ? io.connect(`${serverIoUrl}/${namespace}`, { query: `ns=${namespace}&name=${encodeURIComponent(name)}` })
  : io(serverIoUrl + namespace, { auth: { name } })

const refused = (err) => {
  // v4 clients get connect_error with err.data.code; v2 clients get an error event with { code }.
  const code = (err && (err.code || (err.data && err.data.code))) || 'unknown'
  $('status').textContent = `refused: ${code}`
  $('status').className = 'err'
  log(`refused with code ${code}`, 'err')
}
socket.on('connect', () => {
  $('status').textContent = `connected as ${name}`
  $('status').className = ''
})
socket.on('connect_error', refused)
socket.on('error', refused)
socket.on('welcome', (w) => log(`welcome to category ${w.category}, item ${w.item}`, 'sys'))
socket.on('joined', (who) => log(`${who} joined`, 'sys'))
socket.on('left', (who) => log(`${who} left`, 'sys'))
socket.on('message', (m) => log(`${m.who}: ${m.text}`))
socket.on('spoiler', (m) => log(`${m.who} (spoiler): ${m.text}`, 'spoiler'))
$('spoilers').addEventListener('change', (e) => socket.emit('spoilers', e.target.checked))
$('send').addEventListener('submit', (e) => {
  e.preventDefault()
  socket.emit($('asSpoiler').checked ? 'spoiler' : 'message', $('text').value)
  $('text').value = ''
})

// The router's live figures over the last minute, drawn by uPlot (served from node_modules).
const HISTORY = 60
const series = [[], [], []] // time (s), live namespaces, sockets
const chart = new uPlot({
  width: 420,
  height: 140,
  legend: { live: false },
  scales: { y: { range: (_u, _min, max) => [0, Math.max(4, max + 1)] } },
  axes: [
    { space: 70, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString()) },
    { size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
  ],
  series: [
    {},
    { label: 'live namespaces', stroke: '#3366cc', width: 2 },
    { label: 'sockets', stroke: '#dd7700', width: 2 },
  ],
}, series, $('chart'))
window.liveChart = chart // the browser test reads the charted figures

const stats = async () => {
  const s = await (await fetch('/stats')).json()
  $('stats').textContent = `router: ${s.namespaces} live namespaces (chat: ${s.byRoute.chat}), ${s.sockets} sockets, refusals ${JSON.stringify(s.refusals)}`
  series[0].push(Date.now() / 1000)
  series[1].push(s.namespaces)
  series[2].push(s.sockets)
  for (const column of series) if (column.length > HISTORY) column.shift()
  chart.setData(series)
}
stats()
setInterval(stats, 1000)
