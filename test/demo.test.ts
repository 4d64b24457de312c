// The demo in a real browser: Debian's Chromium driven by playwright-core, a socket.io-client 2.x
// page and a 4.x page in one routed namespace. npm test installs the chromium package (scripts/provision.js).
import { existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
// @ts-expect-error the demo is plain JavaScript
import { startDemo } from '../examples/demo.js'
import { clientV4, connected, once } from './helpers/io.js'
import { startRedis } from './helpers/redis.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

t.test('v2 and v4 pages chat in one routed namespace, and only there', async (t) => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser test needs Debian's chromium package (apt-get install chromium; npm test does it when run as root)`)
  }
  const demo = await startDemo({ port: 0 })
  t.teardown(() => demo.close())
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  })
  t.teardown(() => browser.close())
  const open = async (client: 'v2' | 'v4', ns: string, name: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 900, height: 640 } })
    await page.goto(`${demo.url}/${client}.html?ns=${encodeURIComponent(ns)}&name=${name}`)
    return page
  }
  const chat = '/category/1/item/2/chat'
  const connectedPage = async (page: Page) => {
    await page.locator('#status', { hasText: 'connected as' }).waitFor({ timeout: 10_000 })
    return page
  }
  const legacy = await connectedPage(await open('v2', chat, 'ada'))
  const modern = await connectedPage(await open('v4', chat, 'grace'))
  const other = await connectedPage(await open('v4', '/category/1/item/3/chat', 'linus'))
  await legacy.locator('#log', { hasText: 'grace (v4) joined' }).waitFor()

  const say = async (page: Page, text: string) => {
    await page.fill('#text', text)
    await page.click('#send button')
  }
  await say(legacy, 'hello from socket.io-client 2')
  await say(modern, 'hello from socket.io-client 4')
  for (const page of [legacy, modern]) {
    await page.locator('#log', { hasText: 'ada (v2): hello from socket.io-client 2' }).waitFor()
    await page.locator('#log', { hasText: 'grace (v4): hello from socket.io-client 4' }).waitFor()
  }
  t.pass('both messages reached both pages')

  // Rooms inside the namespace: only members of "spoilers" get a spoiler.
  await modern.check('#spoilers')
  await legacy.waitForTimeout(100)
  await legacy.check('#asSpoiler')
  await say(legacy, 'the butler did it')
  await modern.locator('.spoiler', { hasText: 'the butler did it' }).waitFor()
  t.pass('the room member got the spoiler')

  await other.waitForTimeout(300)
  const otherLog = await other.textContent('#log')
  t.notMatch(otherLog, /hello from|butler/, 'a page in another item’s chat got none of it')
  t.equal(await legacy.locator('.spoiler').count(), 0, 'nor did the sender, who is not in the room')

  const refused = await open('v4', '/nowhere/1', 'eve')
  await refused.locator('#status', { hasText: 'refused: NS_NO_ROUTE' }).waitFor()
  const refusedV2 = await open('v2', '/category/0/item/1/chat', 'mallory')
  await refusedV2.locator('#status', { hasText: 'refused: NS_FORBIDDEN' }).waitFor()
  t.pass('refusals show their codes on both generations')

  const stats = await legacy.locator('#stats', { hasText: 'router: 2 live namespaces' })
  await stats.waitFor()
  t.match(await stats.textContent(), /3 sockets/)

  // docs/demo.png in the README comes from here (UPDATE_DOCS=1 npm test); otherwise a temporary file.
  const both = await browser.newPage({ viewport: { width: 1280, height: 760 } })
  await both.goto(`${demo.url}/both.html?ns=${encodeURIComponent('/category/4/item/2/chat')}`)
  const v2 = both.frameLocator('iframe[name=v2]')
  const v4 = both.frameLocator('iframe[name=v4]')
  for (const frame of [v2, v4]) await frame.locator('#status', { hasText: 'connected as' }).waitFor()
  await v2.locator('#text').fill('hi, I am on socket.io-client 2 (the seed snippet)')
  await v2.locator('#send button').click()
  await v4.locator('#log', { hasText: 'hi, I am on socket.io-client 2' }).waitFor()
  await v4.locator('#text').fill('and I am on socket.io-client 4, same namespace')
  await v4.locator('#send button').click()
  await v2.locator('#log', { hasText: 'same namespace' }).waitFor()
  // Two stats refreshes: the chart has a line to draw.
  await both.waitForTimeout(2100)
  const shot = process.env.UPDATE_DOCS ? 'docs/demo.png' : join(tmpdir(), `ns-router-demo-${process.pid}.png`)
  await both.screenshot({ path: shot })
  t.ok(statSync(shot).size > 10_000, `screenshot saved to ${shot}`)
})

t.test('REDIS_URL mode: two demo nodes on the recommended setup (sharded adapter), a message crosses them', async (t) => {
  const redis = await startRedis(t)
  const [a, b] = await Promise.all([startDemo({ port: 0, redisUrl: redis.url }), startDemo({ port: 0, redisUrl: redis.url })])
  t.teardown(async () => { await a.close(); await b.close() })
  const chat = '/category/1/item/2/chat'
  const onA = clientV4(t, a.url + chat, { auth: { name: 'ada' } })
  const onB = clientV4(t, b.url + chat, { auth: { name: 'grace' } })
  await Promise.all([connected(onA), connected(onB)])
  const subscriptions = await redis.subscriptions(chat)
  t.equal(subscriptions.numpat, 0, 'no pattern subscription: not the classic adapter')
  t.ok(subscriptions.shardChannels.length > 0, 'sharded channels for the namespace')
  const heard = once(onB, 'message')
  onA.emit('message', 'across nodes')
  t.same(await heard, [{ who: 'ada (v4)', text: 'across nodes' }])
})

t.test('the live chart moves as clients join and leave, and /metrics is served', async (t) => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found`)
  const demo = await startDemo({ port: 0 })
  t.teardown(() => demo.close())
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  const open = async (ns: string, name: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 900, height: 760 } })
    await page.goto(`${demo.url}/v4.html?ns=${encodeURIComponent(ns)}&name=${name}`)
    await page.locator('#status', { hasText: 'connected as' }).waitFor({ timeout: 10_000 })
    return page
  }
  // The latest figure the page's uPlot chart plots, in series 1 (namespaces) or 2 (sockets).
  const charted = (page: Page, column: 1 | 2, value: number) =>
    page.waitForFunction(([column, value]) => {
      const data = (globalThis as any).liveChart?.data as number[][] | undefined
      return data !== undefined && data[column]!.length > 0 && data[column]![data[column]!.length - 1] === value
    }, [column, value] as const, { timeout: 10_000 })

  const watcher = await open('/category/1/item/1/chat', 'watcher')
  await charted(watcher, 1, 1)
  await charted(watcher, 2, 1)
  t.equal(await watcher.locator('#chart canvas').count(), 1, 'uPlot drew on a canvas')
  const before = await watcher.locator('#chart canvas').screenshot()

  const guests = [await open('/category/1/item/2/chat', 'ada'), await open('/category/1/item/2/chat', 'grace')]
  await charted(watcher, 1, 2)
  await charted(watcher, 2, 3)
  t.pass('the chart rose as two clients joined a new namespace')
  t.notSame(await watcher.locator('#chart canvas').screenshot(), before, 'and its picture changed')

  await Promise.all(guests.map((page) => page.close()))
  await charted(watcher, 2, 1)
  t.pass('and fell as they left')

  const response = await fetch(`${demo.url}/metrics`)
  t.match(response.headers.get('content-type'), /^text\/plain/)
  const text = await response.text()
  t.match(text, /^socket_io_namespace_router_sockets\{route="chat"\} 1$/m)
  t.match(text, /^socket_io_namespace_router_namespaces_created_total\{route="chat"\} 2$/m)
})
