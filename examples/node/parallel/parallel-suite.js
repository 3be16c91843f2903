'use strict'
// What each of the two suites of this folder does, in its own namespace of the one shared
// faultline-server (faultline-shared runs `node --test` with its ready line), while the
// other suite runs in another process: hold a request at a gate, meet the other suite
// there (both hold at once), then check that its counters, gates, connections and faults
// are its own. Requests go over HTTP/2 (node:http2), one session per namespace view.

const assert = require('node:assert')
const fs = require('node:fs')
const http2 = require('node:http2')
const { setTimeout: sleep } = require('node:timers/promises')

const DEADLINE_MS = 30000

/** GET over h2: {status, body}, or {error} when the stream fails before a response. */
function get (session, view, urlPath, requestId) {
  return new Promise((resolve) => {
    const stream = session.request({ ':path': view.prefix + urlPath, 'x-faultline-request-id': requestId })
    let status = null
    let body = ''
    stream.setEncoding('utf8')
    stream.on('response', (headers) => { status = headers[':status'] })
    stream.on('data', (chunk) => { body += chunk })
    stream.on('end', () => resolve({ status, body }))
    stream.on('error', (error) => resolve({ error: error.code || error.message }))
    stream.end()
  })
}

/** Polls check() until it resolves {ok: true}, for at most DEADLINE_MS. */
async function waitFor (what, check) {
  const deadline = Date.now() + DEADLINE_MS
  let seen
  while (Date.now() < deadline) {
    const { ok, value } = await check()
    seen = value
    if (ok) return value
    await sleep(20)
  }
  throw new Error(`${what}: not within ${DEADLINE_MS} ms (last seen: ${JSON.stringify(seen)})`)
}

async function held (view, gate) {
  const gates = (await view.gates()).gates
  return { ok: false, value: gates, held: (gates[gate] || {}).held || 0 }
}

async function heldAtLeast (view, gate, n) {
  const state = await held(view, gate)
  return { ok: state.held >= n, value: state.value }
}

/** Whether a request of `view` is held at `gate` or was released from it (the other
 * suite may have met us, finished and released already). */
async function reached (view, gate) {
  const state = (await view.gates()).gates[gate] || {}
  return { ok: (state.held || 0) + (state.released || 0) >= 1, value: state }
}

function connect (server) {
  const session = http2.connect(server.https, { ca: fs.readFileSync(server.ca) })
  session.on('error', () => {}) // a stream's failure is asserted where it happens
  return session
}

async function run (server, me, other) {
  const mine = server.namespace(me)
  const theirs = server.namespace(other)
  await mine.reset()
  const session = connect(server)
  try {
    // Step 1: a request of mine waits at gate "hold" of my namespace.
    const answer = get(session, mine, '/hold', `${me}-held`)
    await waitFor(`${me} holds at its gate`, () => heldAtLeast(mine, 'hold', 1))
    // Step 2: the other suite holds at its own gate "hold" at the same time.
    await waitFor(`${other} holds too (the suites run in parallel)`, () => reached(theirs, 'hold'))
    assert.strictEqual((await held(server, 'hold')).held, 0, 'the default namespace holds nothing')
    // Step 3: the same request id, in a scenario whose fault refuses each id's first
    // attempt (RST_STREAM REFUSED_STREAM): refused once here whatever the other suite did.
    const flaky = server.namespace(me, { scenario: 'refused-first-attempt' })
    const flakySession = connect(server)
    try {
      const first = await get(flakySession, flaky, '/flaky', 'flaky')
      assert.strictEqual(first.error, 'ERR_HTTP2_STREAM_ERROR', JSON.stringify(first))
      const second = await get(flakySession, flaky, '/flaky', 'flaky')
      assert.strictEqual(second.status, 200, JSON.stringify(second))
    } finally {
      flakySession.close()
    }
    // Step 4: my counters are mine only.
    const stats = await mine.stats()
    assert.strictEqual(stats.namespace, me)
    assert.deepStrictEqual(stats.requests, { flaky: 1 })
    assert.deepStrictEqual(stats.faults_fired, { 'refuse-first': 1 })
    assert.ok(stats.connections.length >= 1, JSON.stringify(stats))
    for (const c of stats.connections) assert.strictEqual(c.namespace, me, JSON.stringify(c))
    assert.strictEqual((await mine.request(`${other}-held`)).served, 0)
    // Step 5: releasing my gate releases my request, not the other suite's.
    assert.deepStrictEqual(await mine.release('hold'), { released: 1 })
    assert.deepStrictEqual(await answer, { status: 200, body: 'released' })
    assert.strictEqual((await mine.request(`${me}-held`)).served, 1)
    assert.strictEqual((await held(mine, 'hold')).held, 0)
  } finally {
    await mine.release('hold').catch(() => {})
    session.close()
  }
}

module.exports = { run, get, connect }
