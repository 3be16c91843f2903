'use strict'
// The launcher against the real faultline-server (FAULTLINE_SERVER names the binary).
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const http = require('node:http')
const https = require('node:https')
const { start, attach, AdminError, LaunchError, NAMESPACE_HEADER, SCENARIO_HEADER } = require('..')

const SERVER = process.env.FAULTLINE_SERVER

function get (url, ca) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    }).on('error', reject)
  })
}

test('FAULTLINE_SERVER names the server binary', () => {
  assert.ok(SERVER && fs.existsSync(SERVER), `FAULTLINE_SERVER='${SERVER}' is not a file`)
})

test('serves the default scenario over TLS with the announced CA', async () => {
  const server = await start({ serverPath: SERVER, scenario: 'default' })
  try {
    assert.match(server.https, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(fs.existsSync(server.ca), `ca ${server.ca} missing`)
    assert.strictEqual(server.listeners.main, server.https)
    assert.deepStrictEqual(await server.health(), { ok: true })
    const res = await get(server.https + '/health', fs.readFileSync(server.ca))
    assert.strictEqual(res.status, 200)
    const stats = await server.stats()
    assert.ok(stats.connections_total >= 1, JSON.stringify(stats))
    assert.deepStrictEqual(await server.reset(), { ok: true })
    assert.ok('gates' in await server.gates())
    await assert.rejects(server.putScenario({ name: 'x', routes: 'not a list' }), (err) => {
      assert.ok(err instanceof AdminError)
      assert.strictEqual(err.status, 400)
      assert.ok(err.path.startsWith('$'), err.path)
      return true
    })
  } finally {
    const stopped = await server.stop()
    assert.ok(stopped.ok, JSON.stringify(stopped))
  }
})

test('namespace views keep to themselves; attach() reaches the same server', async () => {
  const server = await start({ serverPath: SERVER, scenario: 'default' })
  try {
    const ns = server.namespace('t1', { scenario: 'tiny' })
    assert.strictEqual(ns.https, server.https + '/n/t1/s/tiny')
    assert.strictEqual(ns.listeners.plain, server.http + '/n/t1/s/tiny')
    assert.deepStrictEqual(ns.headers, { [NAMESPACE_HEADER]: 't1', [SCENARIO_HEADER]: 'tiny' })
    // tiny's route /tiny (the default scenario has none), tagged.
    const res = await new Promise((resolve, reject) => {
      https.get(ns.url('/tiny'), { ca: fs.readFileSync(server.ca), headers: { 'x-faultline-request-id': 'x' } }, (r) => {
        let body = ''
        r.on('data', (c) => { body += c })
        r.on('end', () => resolve({ status: r.statusCode, body }))
      }).on('error', reject)
    })
    assert.deepStrictEqual(res, { status: 200, body: 'ok' })
    assert.deepStrictEqual(await ns.request('x'), { id: 'x', namespace: 't1', served: 1 })
    assert.strictEqual((await server.request('x')).served, 0)
    assert.strictEqual((await server.namespace('t2').request('x')).served, 0)
    const stats = await ns.stats()
    assert.deepStrictEqual([stats.namespace, stats.requests], ['t1', { x: 1 }])
    assert.deepStrictEqual((await ns.connections()).connections.map((c) => c.namespace), ['t1'])
    assert.deepStrictEqual(await ns.release('hold'), { released: 0 })
    assert.deepStrictEqual(await ns.reset(), { ok: true, namespace: 't1' })
    assert.deepStrictEqual((await ns.stats()).requests, {})
    const other = attach(server.ready)
    assert.strictEqual(other.attached, true)
    assert.deepStrictEqual(await other.health(), { ok: true })
    assert.strictEqual((await other.stop()).ok, true)
    assert.deepStrictEqual(await server.health(), { ok: true }) // still running
    assert.throws(() => server.namespace('a/b'), TypeError)
  } finally {
    const stopped = await server.stop()
    assert.ok(stopped.ok, JSON.stringify(stopped))
  }
})

test('passes the admin token to the server and sends it with every admin call', async () => {
  const server = await start({ serverPath: SERVER, scenario: 'default', adminToken: 'tok-123' })
  try {
    assert.deepStrictEqual(await server.health(), { ok: true })
    // Without the token the same call is refused: the server did get it.
    const status = await new Promise((resolve, reject) => {
      http.get(server.admin + '/v1/health', (res) => { res.resume(); resolve(res.statusCode) }).on('error', reject)
    })
    assert.strictEqual(status, 401)
  } finally {
    const stopped = await server.stop()
    assert.ok(stopped.ok, JSON.stringify(stopped))
  }
})

test('an unknown scenario fails to start with the server\'s error line', async () => {
  await assert.rejects(start({ serverPath: SERVER, scenario: 'no-such-scenario' }), (err) => {
    assert.ok(err instanceof LaunchError)
    assert.match(err.stderr, /faultline-server: error:/)
    return true
  })
})
