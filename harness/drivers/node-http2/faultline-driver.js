#!/usr/bin/env node
'use strict'
// Faultline driver over Node's built-in http2 module (no dependencies): the JSON-lines
// driver protocol (docs/driver-protocol.md) on stdin/stdout, logs on stderr.
//
// node:http2 has no pool and no redirect support; this driver uses it the plain way: one
// session per origin (opened on demand, replaced once it closes or receives GOAWAY),
// session.request() per request, stream.close(NGHTTP2_CANCEL) for aborts and timeouts.
// In redirect mode "follow" a redirect response fails with kind "other": the module
// does not follow, and the driver does not work around its transport.

const http2 = require('node:http2')
const fs = require('node:fs')
const readline = require('node:readline')
const { performance } = require('node:perf_hooks')
const pauseGate = require('../node-common/pause-gate')

const PROTOCOL = 1
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
const { NGHTTP2_CANCEL } = http2.constants

const USAGE = `Usage: faultline-driver.js [--ca FILE] [--max-streams N] [--help]
Speaks the Faultline driver protocol (JSON lines) on stdin/stdout over node:http2,
one session per origin.

  --ca FILE         PEM file of the CA to trust (the fake server's "ca")
  --max-streams N   SETTINGS_MAX_CONCURRENT_STREAMS this client announces, and the
                    max_streams it reports (default 100)
  --session-per-request
                    a new session (connection) for every request, each request sent
                    before that connection's SETTINGS arrive: a scripted client the
                    conformance proofs use to show a check is not dodged that way
  --help            this text
`

function fail (message) {
  process.stderr.write(`faultline-driver-http2: error: ${message}\n`)
  process.exit(2)
}

const options = { ca: null, maxStreams: 100, sessionPerRequest: false }
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i]
  const value = () => (i + 1 < process.argv.length ? process.argv[++i] : fail(`${arg} needs a value`))
  if (arg === '--ca') options.ca = value()
  else if (arg === '--session-per-request') options.sessionPerRequest = true
  else if (arg === '--max-streams') {
    options.maxStreams = Number(value())
    if (!Number.isInteger(options.maxStreams) || options.maxStreams < 1) fail('--max-streams needs a positive integer')
  } else if (arg === '--help' || arg === '-h') {
    process.stdout.write(USAGE)
    process.exit(0)
  } else fail(`unknown argument '${arg}' (try --help)`)
}

let ca
if (options.ca) {
  try {
    ca = fs.readFileSync(options.ca)
  } catch (err) {
    fail(`cannot read --ca ${options.ca}: ${err.message}`)
  }
}

const counters = { requests_started: 0, requests_completed: 0, requests_failed: 0, requests_aborted: 0, connections_opened: 0 }
const sessions = new Map() // origin -> ClientHttp2Session usable for new streams
const inFlight = new Map() // id -> { stream, timer, why, start }

let drain = null
function write (obj) {
  return process.stdout.write(JSON.stringify(obj) + '\n')
}
function drained () {
  if (!drain) drain = new Promise((resolve) => process.stdout.once('drain', () => { drain = null; resolve() }))
  return drain
}

function sessionFor (origin) {
  const existing = sessions.get(origin)
  if (!options.sessionPerRequest && existing && !existing.closed && !existing.destroyed) return existing
  const session = http2.connect(origin, { ca, settings: { maxConcurrentStreams: options.maxStreams } })
  counters.connections_opened++
  const forget = () => { if (sessions.get(origin) === session) sessions.delete(origin) }
  session.on('goaway', forget)
  session.on('close', forget)
  session.on('error', (err) => {
    forget()
    process.stderr.write(`faultline-driver-http2: session ${origin}: ${err.code || ''} ${err.message}\n`)
  })
  sessions.set(origin, session)
  return session
}

const NETWORK = (code) => code.startsWith('ECONN') || code === 'EPIPE' || code === 'ENOTFOUND' ||
  code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') ||
  code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'

function classify (err, state) {
  if (state.why) return state.why === 'timeout' ? 'timeout' : 'aborted'
  const code = (err && err.code) || ''
  // Streams pending on a session that failed to connect carry the reason as the cause.
  if (err && err.cause && err.cause.code && NETWORK(String(err.cause.code))) return 'network'
  if (NETWORK(code)) return 'network'
  if (code === 'ERR_HTTP2_STREAM_ERROR' || code === 'ERR_HTTP2_SESSION_ERROR' || code === 'ERR_HTTP2_INVALID_SESSION' ||
      code === 'ERR_HTTP2_GOAWAY_SESSION' || code.startsWith('ERR_HTTP2')) return 'protocol'
  return 'other'
}

function settle (id, state, counter) {
  clearTimeout(state.timer)
  inFlight.delete(id)
  counters[counter]++
}

function finishWithError (msg, state, kind, message) {
  if (!inFlight.has(msg.id)) return
  settle(msg.id, state, kind === 'aborted' ? 'requests_aborted' : 'requests_failed')
  write({ id: msg.id, event: 'error', kind, message, t_ms: performance.now() - state.start })
}

async function perform (msg, state) {
  const url = new URL(msg.url)
  const elapsed = () => performance.now() - state.start
  const headers = { ':method': msg.method || 'GET', ':path': url.pathname + url.search, ...(msg.headers || {}) }
  const stream = sessionFor(url.origin).request(headers, { endStream: msg.body_b64 === undefined })
  state.stream = stream
  // node:http2 reports 1xx heads as 'headers' before 'response', trailers as 'trailers'.
  let trailers = null
  stream.on('headers', (h) => {
    const fields = {}
    for (const [name, value] of Object.entries(h)) if (!name.startsWith(':')) fields[name] = value
    if (inFlight.has(msg.id)) write({ id: msg.id, event: 'informational', status: h[':status'], headers: fields, t_ms: elapsed() })
  })
  stream.on('trailers', (t) => { trailers = t })
  if (msg.body_b64 !== undefined) stream.end(Buffer.from(msg.body_b64, 'base64'))
  const [responseHeaders] = await Promise.race([
    new Promise((resolve) => stream.once('response', (h) => resolve([h]))),
    new Promise((resolve, reject) => stream.once('error', reject)),
    new Promise((resolve, reject) => stream.once('close', () => reject(Object.assign(new Error(`stream closed before a response (rst code ${stream.rstCode})`), { code: 'ERR_HTTP2_STREAM_ERROR' }))))
  ])
  const status = responseHeaders[':status']
  if (REDIRECT_STATUSES.has(status) && responseHeaders.location && msg.redirect !== 'manual') {
    stream.close(NGHTTP2_CANCEL)
    const err = new Error(msg.redirect === 'error'
      ? `redirect ${status} to '${responseHeaders.location}' refused (redirect mode error)`
      : `redirect ${status} to '${responseHeaders.location}': node:http2 does not follow redirects`)
    err.code = msg.redirect === 'error' ? 'ECONNREFUSED_REDIRECT' : 'ERR_NO_REDIRECTS'
    throw err
  }
  if (!inFlight.has(msg.id)) return // timed out meanwhile: its error event is written
  const out = {}
  for (const [name, value] of Object.entries(responseHeaders)) if (!name.startsWith(':')) out[name] = value
  write({ id: msg.id, event: 'headers', status, headers: out, t_ms: elapsed(), protocol: 'h2' })
  for await (const chunk of stream) {
    if (state.paused) await pauseGate.whilePaused(state)
    if (!inFlight.has(msg.id)) return
    if (chunk.length > 0 && !write({ id: msg.id, event: 'data', b64: chunk.toString('base64'), t_ms: elapsed() })) await drained()
    if (msg.read_delay_ms > 0) await new Promise(resolve => setTimeout(resolve, msg.read_delay_ms))
  }
  if (stream.rstCode && stream.rstCode !== 0) {
    throw Object.assign(new Error(`stream reset with code ${stream.rstCode}`), { code: 'ERR_HTTP2_STREAM_ERROR' })
  }
  if (!inFlight.has(msg.id)) return
  settle(msg.id, state, 'requests_completed')
  const end = { id: msg.id, event: 'end', t_ms: elapsed() }
  if (trailers) {
    end.trailers = {}
    for (const [name, value] of Object.entries(trailers)) if (!name.startsWith(':')) end.trailers[name] = value
  }
  write(end)
}

function startRequest (msg) {
  counters.requests_started++
  const state = { stream: null, timer: null, why: null, start: performance.now() }
  inFlight.set(msg.id, state)
  if (msg.timeout_ms > 0) {
    state.timer = setTimeout(() => {
      state.why = 'timeout'
      if (state.stream) state.stream.close(NGHTTP2_CANCEL)
      finishWithError(msg, state, 'timeout', 'timeout_ms passed')
    }, msg.timeout_ms)
  }
  perform(msg, state).catch((err) => {
    const kind = err && err.code === 'ECONNREFUSED_REDIRECT' ? 'network' : classify(err, state)
    const cause = err && err.cause ? ` (cause: ${err.cause.code ? err.cause.code + ': ' : ''}${err.cause.message})` : ''
    finishWithError(msg, state, kind, `${err && err.code ? err.code + ': ' : ''}${err && err.message}${cause}`)
  })
}

function abortRequest (id) {
  const state = inFlight.get(id)
  if (!state || state.why) return
  state.why = 'aborted'
  if (state.stream) state.stream.close(NGHTTP2_CANCEL)
}

let shuttingDown = false
function shutdown () {
  if (shuttingDown) return
  shuttingDown = true
  for (const id of inFlight.keys()) abortRequest(id)
  for (const session of sessions.values()) session.destroy()
  setTimeout(() => process.exit(0), 1000).unref()
  process.stdout.write('', () => process.exit(0))
}

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  if (line.trim() === '') return
  let msg
  try {
    msg = JSON.parse(line)
  } catch (err) {
    process.stderr.write(`faultline-driver-http2: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`)
    return
  }
  switch (msg.op) {
    case 'hello':
      write({
        event: 'hello',
        protocol: PROTOCOL,
        name: 'node:http2',
        version: process.versions.node,
        max_sessions: 1,
        max_streams: options.maxStreams,
        h2: true,
        api: 'session.request',
        // A session lives until it closes or gets GOAWAY: no idle timer, no PING-based
        // liveness check, and a 421 is the caller's.
        // pause/resume stop and restart reading the stream: node:http2 credits the
        // window only for what was read.
        capabilities: { idle_timeout_ms: 0, liveness_timeout_ms: 0, retries_421: false, trailers: true, informational: true, receive_backpressure: true }
      })
      break
    case 'request':
      try {
        new URL(msg.url) // eslint-disable-line no-new
      } catch (err) {
        write({ id: msg.id, event: 'error', kind: 'other', message: `invalid url '${msg.url}'` })
        return
      }
      if (shuttingDown) write({ id: msg.id, event: 'error', kind: 'other', message: 'driver is shutting down' })
      else startRequest(msg)
      break
    case 'abort': abortRequest(msg.id); break
    case 'pause': pauseGate.pause(inFlight.get(msg.id)); break
    case 'resume': pauseGate.resume(inFlight.get(msg.id)); break
    case 'stats': write({ event: 'stats', ...counters, in_flight: inFlight.size, sessions: sessions.size }); break
    case 'shutdown': shutdown(); break
    default: process.stderr.write(`faultline-driver-http2: ignoring unknown op '${msg.op}'\n`)
  }
}).on('close', shutdown)
