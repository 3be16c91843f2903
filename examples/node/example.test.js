'use strict'
// README example (Node, node:test): the faultline-launcher package starts faultline-server;
// requests go over TLS with its CA. Run by ctest (install.launcher_node_package) from a
// directory the npm pack tarball is installed in.
const test = require('node:test')
const assert = require('node:assert')
const https = require('node:https')
const fs = require('node:fs')
const { start } = require('faultline-launcher')

function get (server, path, requestId) {
  return new Promise((resolve, reject) => {
    const req = https.get(server.https + path, {
      ca: fs.readFileSync(server.ca),
      headers: { 'x-faultline-request-id': requestId },
      timeout: 10000
    }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 10 s`)))
    req.on('error', reject)
  })
}

test('faultline-server from the package', async (t) => {
  const server = await start({ scenario: 'default' })
  t.after(() => server.stop())

  await t.test('health is served once', async () => {
    assert.deepStrictEqual(await get(server, '/health', 'node-health'), { status: 200, body: 'ok' })
    assert.strictEqual((await server.request('node-health')).served, 1)
  })

  await t.test('error bodies arrive intact', async () => {
    const { status, body } = await get(server, '/status/503', 'node-503')
    assert.strictEqual(status, 503)
    assert.match(body, /service unavailable/)
  })
})
