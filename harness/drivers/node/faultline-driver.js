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

const diagnosticsChannel = require('node:diagnostics_channel')
const readline = require('node:readline')
const fs = require('node:fs')
const { performance } = require('node:perf_hooks')

const PROTOCOL = 1
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

function fail (message) {
  process.stderr.write(`faultline-driver: error: ${message}\n`)
  process.exit(2)
}

function parseArgs (argv) {
  const options = { connections: 4, pipelining: 100, maxConcurrentStreams: 100, allowH2: true, ca: null, api: 'request', keepAliveTimeout: 4000 }
  const positive = (name, value) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1) fail(`${name} needs a positive integer, got '${value}'`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`)
      return argv[++i]
    }
    switch (arg) {
      case '--connections': options.connections = positive(arg, value()); break
      case '--pipelining': options.pipelining = positive(arg, value()); break
      case '--max-concurrent-streams': options.maxConcurrentStreams = positive(arg, value()); break
      case '--allow-h2': options.allowH2 = true; break
      case '--no-allow-h2': options.allowH2 = false; break
      case '--ca': options.ca = value(); break
      case '--api':
        options.api = value()
        if (options.api !== 'request' && options.api !== 'fetch') fail(`--api takes request or fetch, got '${options.api}'`)
        break
      case '--keep-alive-timeout': options.keepAliveTimeout = positive(arg, value()); break
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break
      default: fail(`unknown argument '${arg}' (try --help)`)
    }
  }
  return options
}

const options = parseArgs(process.argv.slice(2))

let undici
try {
  undici = require('undici')
} catch (err) {
  fail(`cannot load undici (run npm ci in ${__dirname}): ${err.message}`)
}
const undiciVersion = require('undici/package.json').version

let ca
if (options.ca) {
  try {
    ca = fs.readFileSync(options.ca)
  } catch (err) {
    fail(`cannot read --ca ${options.ca}: ${err.message}`)
  }
}

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
  connect: ca ? { ca } : {}
})
const followingAgent = hasInterceptors ? agent.compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS })) : agent
if (options.api === 'fetch' && typeof undici.fetch !== 'function') fail(`undici ${undiciVersion} has no fetch()`)

// Counters for the stats event, from undici's own diagnostics channels.
const counters = {
  requests_started: 0,
  requests_completed: 0,
  requests_failed: 0,
  requests_aborted: 0,
  connections_opened: 0,
  connect_errors: 0
}
// origin -> ALPN protocols its connections negotiated (the headers event's "protocol").
const alpnByOrigin = new Map()

diagnosticsChannel.subscribe('undici:client:connected', ({ connectParams, socket }) => {
  counters.connections_opened++
  const origin = `${connectParams.protocol}//${connectParams.hostname}${connectParams.port ? ':' + connectParams.port : ''}`
  const alpn = socket.alpnProtocol || 'http/1.1'
  if (!alpnByOrigin.has(origin)) alpnByOrigin.set(origin, new Set())
  alpnByOrigin.get(origin).add(alpn)
})
diagnosticsChannel.subscribe('undici:client:connectError', () => { counters.connect_errors++ })

/** Writes one protocol line; false when stdout's buffer is full (wait for drained()). */
function write (obj) {
  // One write per line: lines never interleave.
  return process.stdout.write(JSON.stringify(obj) + '\n')
}

// Backpressure: a body is read no faster than the harness reads our stdout, so the
// driver never buffers a whole body, and a timeout or abort event is written right
// behind the data already sent rather than behind megabytes of queued lines.
let drain = null
function drained () {
  if (!drain) drain = new Promise((resolve) => process.stdout.once('drain', () => { drain = null; resolve() }))
  return drain
}

const inFlight = new Map() // id -> { controller, timer, why, start }

class DriverAbort extends Error {
  constructor (why) {
    super(why === 'timeout' ? 'timeout_ms passed' : 'aborted by the caller')
    this.name = why === 'timeout' ? 'TimeoutError' : 'AbortError'
    this.why = why
  }
}

// The redirect interceptor fails with plain errors: too many redirects ('max redirects',
// with throwOnMaxRedirect) and its loop detection ('Redirect loop detected ...', code
// UND_ERR_INVALID_ARG). Fetch calls both a network error, and so does the protocol.
function isRedirectFailure (err) {
  const message = (err && err.message) || ''
  return message === 'max redirects' || message.startsWith('Redirect loop detected')
}

function classify (err, state) {
  if (state.why) return state.why === 'timeout' ? 'timeout' : 'aborted'
  // fetch() rejects with TypeError('fetch failed') and the cause; with no cause code it
  // is Fetch's "network error" (a refused redirect, too many redirects).
  if (options.api === 'fetch' && err instanceof TypeError) {
    if (!(err.cause && err.cause.code)) return 'network'
    err = err.cause
  }
  const code = err && err.code ? String(err.code) : ''
  if (['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'].includes(code)) return 'timeout'
  if (code === 'UND_ERR_ABORTED') return 'aborted'
  if (code.startsWith('ERR_HTTP2') || code.startsWith('HPE_') || code === 'UND_ERR_INFO' ||
      code.endsWith('CONTENT_LENGTH_MISMATCH')) return 'protocol'
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code.startsWith('ECONN') || code === 'EPIPE' ||
      code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') ||
      code.includes('CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UND_ERR_REDIRECT' ||
      isRedirectFailure(err)) return 'network'
  return 'other'
}

function describeError (err) {
  if (!err) return 'unknown error'
  const code = err.code ? `${err.code}: ` : ''
  const cause = err.cause && err.cause.message ? ` (cause: ${err.cause.code ? err.cause.code + ': ' : ''}${err.cause.message})` : ''
  return `${code}${err.message}${cause}`
}

function protocolOf (origin) {
  const seen = alpnByOrigin.get(origin)
  if (!seen || seen.size !== 1) return undefined
  return [...seen][0]
}

function elapsedSince (state) {
  return Math.round((performance.now() - state.start) * 1000) / 1000
}

/** Writes the headers event, then the body (with backpressure), then end. */
async function deliver (msg, state, url, statusCode, headers, body) {
  const elapsed = () => elapsedSince(state)
  const event = { id: msg.id, event: 'headers', status: statusCode, headers, t_ms: elapsed() }
  const protocol = protocolOf(url.origin)
  if (protocol) event.protocol = protocol
  write(event)
  if (body) {
    for await (const chunk of body) {
      if (chunk.length > 0 && !write({ id: msg.id, event: 'data', b64: Buffer.from(chunk).toString('base64'), t_ms: elapsed() })) {
        await drained()
      }
    }
  }
  settle(msg.id, state, 'requests_completed')
  write({ id: msg.id, event: 'end', t_ms: elapsed() })
}

/** --api fetch: undici's fetch() over the same Agent; Fetch's own redirect modes. */
async function performFetch (msg, state) {
  const url = new URL(msg.url)
  const response = await undici.fetch(msg.url, {
    method: msg.method || 'GET',
    headers: msg.headers || {},
    body: msg.body_b64 !== undefined ? Buffer.from(msg.body_b64, 'base64') : undefined,
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
  const { statusCode, headers, body } = await dispatcher.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: msg.method || 'GET',
    headers: msg.headers || {},
    body: msg.body_b64 !== undefined ? Buffer.from(msg.body_b64, 'base64') : undefined,
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
  await deliver(msg, state, url, statusCode, headers, body)
}

// Bookkeeping before a terminal event, so that a stats answer read after it includes it.
function settle (id, state, counter) {
  clearTimeout(state.timer)
  inFlight.delete(id)
  counters[counter]++
}

function startRequest (msg) {
  counters.requests_started++
  const state = { controller: new AbortController(), timer: null, why: null, start: performance.now() }
  inFlight.set(msg.id, state)
  if (msg.timeout_ms > 0) {
    state.timer = setTimeout(() => {
      state.why = 'timeout'
      state.controller.abort(new DriverAbort('timeout'))
    }, msg.timeout_ms)
  }
  perform(msg, state).catch((err) => {
    const kind = classify(err, state)
    settle(msg.id, state, kind === 'aborted' ? 'requests_aborted' : 'requests_failed')
    write({ id: msg.id, event: 'error', kind, message: describeError(err), t_ms: Math.round((performance.now() - state.start) * 1000) / 1000 })
  })
}

function abortRequest (id) {
  const state = inFlight.get(id)
  if (!state || state.why) return
  state.why = 'aborted'
  state.controller.abort(new DriverAbort('aborted'))
}

/** undici's own pool view, where the version offers one (Agent#stats: late 6.x, 7.x). */
function poolStats () {
  let raw
  try {
    raw = agent.stats
  } catch (err) {
    return { pools: null, pools_unavailable: `Agent#stats threw: ${err.message}` }
  }
  if (!raw || typeof raw !== 'object') return { pools: null, pools_unavailable: `undici ${undiciVersion} has no Agent#stats` }
  const pools = {}
  for (const [origin, s] of Object.entries(raw)) {
    if (!s || typeof s !== 'object') continue
    pools[origin] = { connected: s.connected, free: s.free, pending: s.pending, queued: s.queued, running: s.running, size: s.size }
  }
  return { pools }
}

function stats () {
  const alpn = {}
  for (const [origin, set] of alpnByOrigin) alpn[origin] = [...set]
  write({ event: 'stats', ...counters, in_flight: inFlight.size, ...poolStats(), alpn })
}

let shuttingDown = false
function shutdown () {
  if (shuttingDown) return
  shuttingDown = true
  for (const id of inFlight.keys()) abortRequest(id)
  const exit = () => process.stdout.write('', () => process.exit(0)) // after what is queued
  setTimeout(() => process.exit(0), 1000).unref() // a harness that stopped reading
  agent.destroy().then(exit, exit)
}

function onLine (line) {
  if (line.trim() === '') return
  let msg
  try {
    msg = JSON.parse(line)
  } catch (err) {
    process.stderr.write(`faultline-driver: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`)
    return
  }
  switch (msg.op) {
    case 'hello':
      write({
        event: 'hello',
        protocol: PROTOCOL,
        name: 'undici',
        version: undiciVersion,
        max_sessions: options.connections,
        max_streams: options.allowH2 ? Math.min(options.pipelining, options.maxConcurrentStreams) : options.pipelining,
        h2: options.allowH2,
        api: options.api,
        capabilities: {
          // keepAliveTimeout is undici's HTTP/1.1 idle timer; its h2 sessions have none.
          idle_timeout_ms: options.allowH2 ? 0 : options.keepAliveTimeout,
          // undici 7 PINGs an h2 session every minute but gives a silent one no deadline.
          liveness_timeout_ms: 0,
          // fetch() retries a 421 on a new connection (Fetch, HTTP-network-or-cache
          // fetch step 16); Dispatcher#request hands it to the caller.
          retries_421: options.api === 'fetch'
        }
      })
      break
    case 'request':
      if (!Number.isInteger(msg.id) || msg.id < 1 || typeof msg.url !== 'string') {
        process.stderr.write(`faultline-driver: ignoring a malformed request: ${line.slice(0, 200)}\n`)
        return
      }
      try {
        new URL(msg.url) // eslint-disable-line no-new
      } catch (err) {
        write({ id: msg.id, event: 'error', kind: 'other', message: `invalid url '${msg.url}'` })
        return
      }
      if (shuttingDown) {
        write({ id: msg.id, event: 'error', kind: 'other', message: 'driver is shutting down' })
        return
      }
      startRequest(msg)
      break
    case 'abort': abortRequest(msg.id); break
    case 'stats': stats(); break
    case 'shutdown': shutdown(); break
    default:
      process.stderr.write(`faultline-driver: ignoring unknown op '${msg.op}'\n`)
  }
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
input.on('line', onLine)
input.on('close', shutdown)
