#!/usr/bin/env node
'use strict'
// Faultline driver over undici: reads the driver protocol's operations as JSON lines on
// stdin and writes events as JSON lines on stdout (docs/driver-protocol.md). Logs go to
// stderr. The pool comes from the command line; see --help.
//
// The driver reports what undici does, through undici's own mechanisms: aborts and
// timeouts go through an AbortSignal, redirects through undici's redirect interceptor
// (Dispatcher#request, --api request, the default) or fetch's own redirect handling
// (--api fetch). The API layer changes verdicts (fetch rejects queued aborts where
// request() does not), so the hello names it. Works with undici 6.x and 7.x: what a
// version lacks (Agent#stats, compose) is reported as missing, never a crash.
// It never papers over undici's behaviour (a queued request that ignores its signal
// stays silent, and the harness's deadline reports it).
//
// The plumbing it shares with the fetch driver (harness/drivers/node-fetch) lives in
// harness/drivers/node-common: JSON lines, the requests in flight and their signals,
// undici's error codes, connection tracking and the pool arguments.

const { kindOfCode, describeError, trackConnections, poolStats, hasPoolStats, failWith, parsePoolArgs, poolStreams } = require('../node-common/undici-support')
const { write, drained, readOperations, exitWhenFlushed, acceptRequest } = require('../node-common/protocol-io')
const { signalRequests, elapsedMs } = require('../node-common/signal-requests')
const pauseGate = require('../node-common/pause-gate')

const PROTOCOL = 1
const TAG = 'faultline-driver'
const MAX_REDIRECTS = 20
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

const USAGE = `Usage: faultline-driver.js [options]
Speaks the Faultline driver protocol (JSON lines) on stdin/stdout, over an undici Agent.

Options:
  --connections N             connections per origin (default 4)
  --pipelining K              requests in flight per connection (default 100; 1 disables
                              h2 multiplexing in undici)
  --max-concurrent-streams N  undici's h2 stream cap per session (default 100)
  --allow-h2 / --no-allow-h2  offer h2 in ALPN (default on)
  --api request|fetch         undici's API layer: Dispatcher#request (default) or fetch()
  --keep-alive-timeout MS     undici's keepAliveTimeout (HTTP/1.1 idle timer; default 4000)
  --ca FILE                   PEM file of the CA to trust (the fake server's "ca")
  --help                      this text
`

const fail = (message) => failWith(TAG, message)

const options = parsePoolArgs(TAG, USAGE, process.argv.slice(2), {
  defaults: { api: 'request', keepAliveTimeout: 4000 },
  options: {
    '--api': (value, o) => {
      o.api = value()
      if (o.api !== 'request' && o.api !== 'fetch') fail(`--api takes request or fetch, got '${o.api}'`)
    },
    '--keep-alive-timeout': (value, o, positive) => { o.keepAliveTimeout = positive(value()) }
  }
})

let undici
try {
  undici = require('undici')
} catch (err) {
  fail(`cannot load undici (run npm ci in ${__dirname}): ${err.message}`)
}
const undiciVersion = require('undici/package.json').version

// Redirects for request(): the redirect interceptor where the version has one (7.x, late
// 6.x), else the Agent's own maxRedirections (early 6.x), set to 0 per request that must
// not follow.
const hasInterceptors = typeof undici.Agent.prototype.compose === 'function' && undici.interceptors && undici.interceptors.redirect
const agent = new undici.Agent({
  ...(hasInterceptors ? {} : { maxRedirections: MAX_REDIRECTS }),
  connections: options.connections,
  pipelining: options.pipelining,
  allowH2: options.allowH2,
  maxConcurrentStreams: options.maxConcurrentStreams,
  keepAliveTimeout: options.keepAliveTimeout,
  connect: options.caPem ? { ca: options.caPem } : {}
})
const followingAgent = hasInterceptors ? agent.compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS })) : agent
if (options.api === 'fetch' && typeof undici.fetch !== 'function') fail(`undici ${undiciVersion} has no fetch()`)

const counters = { requests_started: 0, requests_completed: 0, requests_failed: 0, requests_aborted: 0, connections_opened: 0, connect_errors: 0 }
const connections = trackConnections(counters)

// The redirect interceptor fails with plain errors: too many redirects ('max redirects',
// with throwOnMaxRedirect) and its loop detection ('Redirect loop detected ...', code
// UND_ERR_INVALID_ARG). Fetch calls both a network error, and so does the protocol.
function isRedirectFailure (err) {
  const message = (err && err.message) || ''
  return message === 'max redirects' || message.startsWith('Redirect loop detected')
}

function classify (err, state) {
  if (state.why) return state.why
  // fetch() rejects with TypeError('fetch failed') and the cause; with no cause code it
  // is Fetch's "network error" (a refused redirect, too many redirects).
  if (options.api === 'fetch' && err instanceof TypeError) {
    if (!(err.cause && err.cause.code)) return 'network'
    err = err.cause
  }
  const kind = kindOfCode(err && err.code ? String(err.code) : '')
  if (kind) return kind
  return isRedirectFailure(err) ? 'network' : 'other'
}

/** Writes the headers event, then the body (with backpressure; read_delay_ms between
    chunks: the body stream is not pulled meanwhile), then end with the trailers. */
async function deliver (msg, state, url, statusCode, headers, body, trailers) {
  const elapsed = () => elapsedMs(state)
  const event = { id: msg.id, event: 'headers', status: statusCode, headers, t_ms: elapsed() }
  const protocol = connections.protocolOf(url.origin)
  if (protocol) event.protocol = protocol
  write(event)
  if (body) {
    for await (const chunk of body) {
      if (state.paused) await pauseGate.whilePaused(state)
      if (chunk.length > 0 && !write({ id: msg.id, event: 'data', b64: Buffer.from(chunk).toString('base64'), t_ms: elapsed() })) {
        await drained()
      }
      if (msg.read_delay_ms > 0) await new Promise(resolve => setTimeout(resolve, msg.read_delay_ms))
    }
  }
  requests.settle(msg.id, state, 'requests_completed')
  const end = { id: msg.id, event: 'end', t_ms: elapsed() }
  if (trailers && Object.keys(trailers).length > 0) end.trailers = trailers
  write(end)
}

/** --api fetch: undici's fetch() over the same Agent; Fetch's own redirect modes. */
async function performFetch (msg, state) {
  const url = new URL(msg.url)
  const response = await undici.fetch(msg.url, {
    method: msg.method || 'GET',
    headers: msg.headers || {},
    body: pauseGate.requestBody(msg),
    ...(msg.body_stream ? { duplex: 'half' } : {}),
    signal: state.controller.signal,
    redirect: msg.redirect || 'follow',
    dispatcher: agent
  })
  const headers = {}
  for (const [name, value] of response.headers) headers[name] = value
  if (typeof response.headers.getSetCookie === 'function') {
    const cookies = response.headers.getSetCookie()
    if (cookies.length > 0) headers['set-cookie'] = cookies
  }
  await deliver(msg, state, url, response.status, headers, response.body)
}

async function perform (msg, state) {
  if (options.api === 'fetch') return performFetch(msg, state)
  const url = new URL(msg.url)
  const redirect = msg.redirect || 'follow'
  const dispatcher = redirect === 'follow' ? followingAgent : agent
  const { statusCode, headers, body, trailers } = await dispatcher.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: msg.method || 'GET',
    headers: msg.headers || {},
    body: pauseGate.requestBody(msg),
    signal: state.controller.signal,
    throwOnMaxRedirect: true,
    ...(hasInterceptors ? {} : { maxRedirections: redirect === 'follow' ? MAX_REDIRECTS : 0 })
  })
  if (redirect === 'error' && REDIRECT_STATUSES.has(statusCode) && headers.location) {
    await body.dump().catch(() => {}) // discard the redirect's body (a bare destroy() would emit an error)
    const err = new Error(`redirect ${statusCode} to '${headers.location}' refused (redirect mode error)`)
    err.code = 'UND_ERR_REDIRECT'
    throw err
  }
  // request() fills `trailers` once the body has been read; fetch() has no trailers.
  await deliver(msg, state, url, statusCode, headers, body, trailers)
}

const requests = signalRequests({ counters, perform, classify, describe: describeError })

function stats () {
  const pools = hasPoolStats(agent)
    ? { pools: poolStats(agent) }
    : { pools: null, pools_unavailable: `undici ${undiciVersion} has no Agent#stats` }
  write({ event: 'stats', ...counters, in_flight: requests.inFlight.size, ...pools, alpn: connections.alpn() })
}

let shuttingDown = false
function shutdown () {
  if (shuttingDown) return
  shuttingDown = true
  requests.abortAll()
  agent.destroy().then(exitWhenFlushed, exitWhenFlushed)
}

function onOp (msg, line) {
  switch (msg.op) {
    case 'hello':
      write({
        event: 'hello',
        protocol: PROTOCOL,
        name: 'undici',
        version: undiciVersion,
        max_sessions: options.connections,
        max_streams: poolStreams(options),
        h2: options.allowH2,
        api: options.api,
        capabilities: {
          // keepAliveTimeout is undici's HTTP/1.1 idle timer; its h2 sessions have none.
          idle_timeout_ms: options.allowH2 ? 0 : options.keepAliveTimeout,
          // undici 7 PINGs an h2 session every minute but gives a silent one no deadline.
          liveness_timeout_ms: 0,
          // fetch() retries a 421 on a new connection (Fetch, HTTP-network-or-cache
          // fetch step 16); Dispatcher#request hands it to the caller.
          retries_421: options.api === 'fetch',
          // Dispatcher#request exposes the trailers; the Fetch API has none to expose.
          trailers: options.api !== 'fetch',
          // pause/resume stop and restart reading the response body: undici's own
          // stream backpressure decides what the server may still send.
          receive_backpressure: true
        }
      })
      break
    case 'request':
      if (acceptRequest(TAG, msg, line, shuttingDown)) requests.start(msg)
      break
    case 'abort': requests.abort(msg.id); break
    case 'pause': pauseGate.pause(requests.inFlight.get(msg.id)); break
    case 'resume': pauseGate.resume(requests.inFlight.get(msg.id)); break
    case 'stats': stats(); break
    case 'shutdown': shutdown(); break
    default: process.stderr.write(`${TAG}: ignoring unknown op '${msg.op}'\n`)
  }
}

readOperations(TAG, onOp, shutdown)
