'use strict'
// For the Node drivers over undici (harness/drivers/node over npm undici, and
// harness/drivers/node-fetch over the copy bundled in Node): the error codes undici
// reports, mapped onto the driver protocol's kinds, the connections it announces on its
// diagnostics channels, its pool statistics and the pool arguments.

const diagnosticsChannel = require('node:diagnostics_channel')
const fs = require('node:fs')

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])

/** The protocol's kind for an undici error code ('' when it names none of them). */
function kindOfCode (code) {
  if (TIMEOUT_CODES.has(code)) return 'timeout'
  if (code === 'UND_ERR_ABORTED') return 'aborted'
  if (code.startsWith('ERR_HTTP2') || code.startsWith('HPE_') || code === 'UND_ERR_INFO' ||
      code.endsWith('CONTENT_LENGTH_MISMATCH')) return 'protocol'
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code.startsWith('ECONN') || code === 'EPIPE' ||
      code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') ||
      code.includes('CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'UND_ERR_REDIRECT') return 'network'
  return ''
}

/** "CODE: message (cause: CODE: message)", for error events. */
function describeError (err) {
  if (!err) return 'unknown error'
  const code = err.code ? `${err.code}: ` : ''
  const cause = err.cause && err.cause.message ? ` (cause: ${err.cause.code ? err.cause.code + ': ' : ''}${err.cause.message})` : ''
  return `${code}${err.message}${cause}`
}

/** Counts the connections undici opens (counters.connections_opened, connect_errors) and
    remembers the ALPN protocols negotiated per origin; returns protocolOf(origin). */
function trackConnections (counters) {
  const alpnByOrigin = new Map()
  diagnosticsChannel.subscribe('undici:client:connected', ({ connectParams, socket }) => {
    counters.connections_opened++
    const origin = `${connectParams.protocol}//${connectParams.hostname}${connectParams.port ? ':' + connectParams.port : ''}`
    if (!alpnByOrigin.has(origin)) alpnByOrigin.set(origin, new Set())
    alpnByOrigin.get(origin).add(socket.alpnProtocol || 'http/1.1')
  })
  diagnosticsChannel.subscribe('undici:client:connectError', () => { counters.connect_errors++ })
  return {
    /** The one protocol the origin's connections negotiated, undefined if not exactly one. */
    protocolOf (origin) {
      const seen = alpnByOrigin.get(origin)
      return seen && seen.size === 1 ? [...seen][0] : undefined
    },
    alpn () {
      const out = {}
      for (const [origin, set] of alpnByOrigin) out[origin] = [...set]
      return out
    }
  }
}

/** undici's own pool view (Agent#stats, late 6.x and 7.x) as plain JSON; {} when the
    version has none (hasPoolStats tells). */
function poolStats (agent) {
  const pools = {}
  for (const [origin, s] of Object.entries((hasPoolStats(agent) && agent.stats) || {})) {
    if (!s || typeof s !== 'object') continue
    pools[origin] = { connected: s.connected, free: s.free, pending: s.pending, queued: s.queued, running: s.running, size: s.size }
  }
  return pools
}

/** Whether this undici's Agent reports its pools (Agent#stats). */
function hasPoolStats (agent) {
  try {
    return Boolean(agent && agent.stats && typeof agent.stats === 'object')
  } catch (err) {
    return false
  }
}

/** Exits with status 2 after one error line on stderr. */
function failWith (tag, message) {
  process.stderr.write(`${tag}: error: ${message}\n`)
  process.exit(2)
}

/** The pool options both undici drivers take (see their --help), and the CA file's
    content; errors and --help exit. `extra` adds a driver's own options: its defaults
    and, per option name, a parser called as parse(value, options, positive). */
function parsePoolArgs (tag, usage, argv, extra = {}) {
  const fail = (message) => failWith(tag, message)
  const options = { connections: 4, pipelining: 100, maxConcurrentStreams: 100, allowH2: true, ca: null, ...extra.defaults }
  const own = extra.options || {}
  const positive = (name, value) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1) fail(`${name} needs a positive integer, got '${value}'`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${arg} needs a value`))
    if (arg === '--connections') options.connections = positive(arg, value())
    else if (arg === '--pipelining') options.pipelining = positive(arg, value())
    else if (arg === '--max-concurrent-streams') options.maxConcurrentStreams = positive(arg, value())
    else if (arg === '--allow-h2') options.allowH2 = true
    else if (arg === '--no-allow-h2') options.allowH2 = false
    else if (arg === '--ca') options.ca = value()
    else if (Object.hasOwn(own, arg)) own[arg](value, options, (v) => positive(arg, v))
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage)
      process.exit(0)
    } else fail(`unknown argument '${arg}' (try --help)`)
  }
  if (options.ca) {
    try {
      options.caPem = fs.readFileSync(options.ca)
    } catch (err) {
      fail(`cannot read --ca ${options.ca}: ${err.message}`)
    }
  }
  return options
}

/** The hello's max_streams for these options: undici multiplexes h2 streams up to
    pipelining, capped by maxConcurrentStreams. */
function poolStreams (options) {
  return options.allowH2 ? Math.min(options.pipelining, options.maxConcurrentStreams) : options.pipelining
}

module.exports = { kindOfCode, describeError, trackConnections, poolStats, hasPoolStats, failWith, parsePoolArgs, poolStreams }
