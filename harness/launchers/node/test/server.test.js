'use strict'
// The launcher against the real faultline-server (FAULTLINE_SERVER names the binary).
const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const http = require('node:http')
const https = require('node:https')
const { start, AdminError, LaunchError } = require('..')

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
