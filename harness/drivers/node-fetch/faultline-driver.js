#!/usr/bin/env node
'use strict'
// Faultline driver over Node's built-in fetch (the undici copy bundled in Node, no npm
// dependencies): the JSON-lines driver protocol (docs/driver-protocol.md) on
// stdin/stdout, logs on stderr.
//
// Node does not export its bundled undici, so the pool comes from the bundled Agent
// class itself: the constructor of the global dispatcher fetch creates on first use.
// Every request is fetch(url, { dispatcher, signal, redirect }): fetch's own redirect
// modes, an AbortSignal for aborts and timeout_ms. The driver never works around fetch.

const { kindOfCode, describeError, trackConnections, poolStats, failWith, parsePoolArgs, poolStreams } = require('../node-common/undici-support')
const { write, drained, readOperations, exitWhenFlushed, acceptRequest } = require('../node-common/protocol-io')
const { signalRequests, elapsedMs } = require('../node-common/signal-requests')
const pauseGate = require('../node-common/pause-gate')

const PROTOCOL = 1
const TAG = 'faultline-driver-fetch'
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1')

const USAGE = `Usage: faultline-driver.js [options]
Speaks the Faultline driver protocol (JSON lines) on stdin/stdout over Node's built-in
fetch (undici ${process.versions.undici}, bundled in Node ${process.versions.node}).

Options:
  --connections N             connections per origin (default 4)
  --pipelining K              requests in flight per connection (default 100; 1 disables
                              h2 multiplexing in undici)
  --max-concurrent-streams N  undici's h2 stream cap per session (default 100)
  --allow-h2 / --no-allow-h2  offer h2 in ALPN (default on; fetch's own default is off)
  --ca FILE                   PEM file of the CA to trust (the fake server's "ca")
  --help                      this text

Not configurable here: undici 6's HTTP/2 sessions have no PING-based liveness check.
`

const fail = (message) => failWith(TAG, message)

const options = parsePoolArgs(TAG, USAGE, process.argv.slice(2))

const counters = { requests_started: 0, requests_completed: 0, requests_failed: 0, requests_aborted: 0, connections_opened: 0, connect_errors: 0 }
const connections = trackConnections(counters)
let agent = null // the bundled undici Agent, made once fetch has loaded undici

/** Loads Node's bundled undici (a data: URL needs no network) and makes our Agent from
    the class of the global dispatcher it installs. */
async function bundledAgent () {
  await fetch('data:,')
  const dispatcher = globalThis[GLOBAL_DISPATCHER]
  if (!dispatcher || typeof dispatcher.constructor !== 'function') fail('Node did not install a global dispatcher for fetch')
  const Agent = dispatcher.constructor
  return new Agent({
    connections: options.connections,
    pipelining: options.pipelining,
    allowH2: options.allowH2,
    maxConcurrentStreams: options.maxConcurrentStreams,
    connect: options.caPem ? { ca: options.caPem } : {}
  })
}

// fetch rejects with TypeError('fetch failed') and the reason in `cause`; a broken body
// with TypeError('terminated') and its cause. Redirect failures are plain messages.
function classify (err, state) {
  if (state.why) return state.why
  const cause = err && err.cause
  const code = String((cause && cause.code) || (err && err.code) || '')
  const kind = kindOfCode(code)
  if (kind) return kind
  const message = String((cause && cause.message) || '')
  if (message === 'unexpected redirect' || message === 'redirect count exceeded') return 'network'
  if (err instanceof TypeError && err.message === 'fetch failed' && cause && cause.name === 'SocketError') return 'network'
  if (err instanceof TypeError && err.message === 'terminated') return 'network'
  return 'other'
}

function responseHeaders (headers) {
  const out = {}
  for (const [name, value] of headers) if (name !== 'set-cookie') out[name] = value
  const cookies = headers.getSetCookie()
  if (cookies.length === 1) out['set-cookie'] = cookies[0]
  else if (cookies.length > 1) out['set-cookie'] = cookies
  return out
}

async function perform (msg, state) {
  const elapsed = () => elapsedMs(state)
  const headers = []
  for (const [name, value] of Object.entries(msg.headers || {})) {
    for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v])
  }
  const response = await fetch(msg.url, {
    method: msg.method || 'GET',
    headers,
    body: pauseGate.requestBody(msg),
    ...(msg.body_stream ? { duplex: 'half' } : {}),
    redirect: msg.redirect || 'follow',
    signal: state.controller.signal,
    dispatcher: agent
  })
  const event = { id: msg.id, event: 'headers', status: response.status, headers: responseHeaders(response.headers), t_ms: elapsed() }
  const protocol = connections.protocolOf(new URL(response.url || msg.url).origin)
  if (protocol) event.protocol = protocol
  write(event)
  if (response.body) {
    for await (const chunk of response.body) {
      if (state.paused) await pauseGate.whilePaused(state)
      if (chunk.length > 0 && !write({ id: msg.id, event: 'data', b64: Buffer.from(chunk).toString('base64'), t_ms: elapsed() })) {
        await drained()
      }
    }
  }
  requests.settle(msg.id, state, 'requests_completed')
  write({ id: msg.id, event: 'end', t_ms: elapsed() })
}

const requests = signalRequests({ counters, perform, classify, describe: describeError })

let shuttingDown = false
function shutdown () {
  if (shuttingDown) return
  shuttingDown = true
  requests.abortAll()
  if (agent) agent.destroy().then(exitWhenFlushed, exitWhenFlushed)
  else exitWhenFlushed()
}

function onOp (msg, line) {
  switch (msg.op) {
    case 'hello':
      write({
        event: 'hello',
        protocol: PROTOCOL,
        name: 'node-fetch',
        version: process.versions.undici,
        node: process.versions.node,
        max_sessions: options.connections,
        max_streams: poolStreams(options),
        h2: options.allowH2,
        api: 'fetch',
        // undici 6 closes no idle HTTP/2 session by a timer (POOL-IDLE-REAP saw none close in
        // 10 s); over HTTP/1.1 its keep-alive timer follows the server's hints: not declared.
        capabilities: options.allowH2
          ? { idle_timeout_ms: 0, liveness_timeout_ms: 0, retries_421: false, receive_backpressure: true }
          : { liveness_timeout_ms: 0, retries_421: false, receive_backpressure: true }
      })
      break
    case 'request':
      if (acceptRequest(TAG, msg, line, shuttingDown)) requests.start(msg)
      break
    case 'abort': requests.abort(msg.id); break
    // pause/resume stop and restart reading the body stream: undici's own stream
    // backpressure decides what the server may still send.
    case 'pause': pauseGate.pause(requests.inFlight.get(msg.id)); break
    case 'resume': pauseGate.resume(requests.inFlight.get(msg.id)); break
    case 'stats': write({ event: 'stats', ...counters, in_flight: requests.inFlight.size, pools: poolStats(agent), alpn: connections.alpn() }); break
    case 'shutdown': shutdown(); break
    default: process.stderr.write(`${TAG}: ignoring unknown op '${msg.op}'\n`)
  }
}

bundledAgent().then((made) => {
  agent = made
  readOperations(TAG, onOp, shutdown)
}, (err) => fail(`cannot load Node's bundled undici: ${describeError(err)}`))
