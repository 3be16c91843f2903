'use strict'
// The launcher against the harness's stub servers (harness/tests/stubs): ready line,
// admin client, stop, and every way of not coming up.
const test = require('node:test')
const assert = require('node:assert')
const path = require('node:path')
const { start, parseReadyLine, AdminError, LaunchError } = require('..')

const STUBS = process.env.FAULTLINE_STUBS_DIR || path.resolve(__dirname, '..', '..', '..', 'tests', 'stubs')
const stub = (name) => path.join(STUBS, name)

test('parses a ready line and rejects others', () => {
  const ready = parseReadyLine('{"event":"ready","https":"https://127.0.0.1:1","admin":"http://127.0.0.1:2","pid":3}')
  assert.strictEqual(ready.pid, 3)
  assert.throws(() => parseReadyLine('Listening'), /not JSON/)
  assert.throws(() => parseReadyLine('{"event":"started"}'), /not a ready event/)
  assert.throws(() => parseReadyLine('{"event":"ready","https":"x","pid":1}'), /admin/)
})

test('starts, talks to the admin API and stops cleanly', async () => {
  const server = await start({ serverPath: stub('stub_admin_server.py') })
  try {
    assert.strictEqual(server.https, 'https://127.0.0.1:1')
    assert.strictEqual(server.listeners.main, 'https://127.0.0.1:1')
    assert.ok(server.pid > 0)
    assert.deepStrictEqual(await server.health(), { ok: true })
    assert.strictEqual((await server.putScenario({ name: 'next' })).scenario, 'next')
    assert.strictEqual((await server.getScenario()).name, 'next')
    await assert.rejects(server.putScenario({ name: 5 }), (err) => {
      assert.ok(err instanceof AdminError)
      assert.strictEqual(err.status, 400)
      assert.strictEqual(err.path, '$.name')
      return true
    })
    assert.strictEqual((await server.release('gate-1', 1)).released, 1)
    assert.strictEqual((await server.release('gate-1')).released, 1)
    assert.strictEqual((await server.request('a b')).id, 'a b')
    assert.deepStrictEqual(await server.reset(), { ok: true })
    assert.ok('requests_total' in await server.stats())
  } finally {
    const stopped = await server.stop()
    assert.ok(stopped.ok, JSON.stringify(stopped))
    assert.match(stopped.stderr, /stub admin server: stopped/)
  }
})

test('a server exiting before its ready line rejects with its stderr', async () => {
  await assert.rejects(start({ serverPath: stub('server_exits_early.sh') }), (err) => {
    assert.ok(err instanceof LaunchError)
    assert.match(err.message, /status 2/)
    assert.match(err.message, /\$\.routes\[0\]\.respond\.status/)
    return true
  })
})

test('garbage instead of a ready line rejects quoting it', async () => {
  await assert.rejects(start({ serverPath: stub('server_garbage.sh') }), /Listening on port 8443[\s\S]*about to print garbage/)
})

test('silence hits the deadline', async () => {
  await assert.rejects(start({ serverPath: stub('server_silent.sh'), readyTimeoutMs: 300 }),
    /no ready line within 300 ms/)
})

test('a missing binary rejects', async () => {
  await assert.rejects(start({ serverPath: stub('does-not-exist') }), /cannot start/)
})

test('a server ignoring SIGTERM is killed after the stop timeout', async () => {
  const server = await start({ serverPath: stub('server_ignores_term.sh'), stopTimeoutMs: 300 })
  const stopped = await server.stop()
  assert.strictEqual(stopped.ok, false)
  assert.strictEqual(stopped.killed, true)
  assert.strictEqual(stopped.signal, 'SIGKILL')
})
