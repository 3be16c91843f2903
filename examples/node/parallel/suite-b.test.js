'use strict'
// Suite B of the parallel example: `faultline-shared -- node --test --test-concurrency=2
// suite-a.test.js suite-b.test.js` runs it beside suite-a.test.js, on one shared server.
const assert = require('node:assert')
const { test } = require('node:test')
const { fromEnv } = require('faultline-launcher')
const { run } = require('./parallel-suite')

test('suite B keeps to its namespace', async () => {
  const server = fromEnv() // the server faultline-shared started
  assert.ok(server, 'FAULTLINE_READY is not set: run under faultline-shared')
  await run(server, 'suite-b', 'suite-a')
})
