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

const stats = async () => {
  const s = await (await fetch('/stats')).json()
  $('stats').textContent = `router: ${s.namespaces} live namespaces (chat: ${s.byRoute.chat}), ${s.sockets} sockets, refusals ${JSON.stringify(s.refusals)}`
}
stats()
setInterval(stats, 1000)
