'use strict'
// Starts faultline-server (or any program honouring its ready-line contract) for a Node
// test suite, and talks to its admin API. No dependencies beyond Node itself.
//
//   const { start } = require('faultline-launcher')  // or .../harness/launchers/node
//   const server = await start({ scenario: 'default' })
//   // server.https, server.http, server.ca, server.listeners.main, ...
//   await server.putScenario({...}); const stats = await server.stats()
//   await server.stop()
//
// One server for a parallel suite: server.namespace('t1') is a view whose base URLs carry
// the namespace (and optionally a scenario), with its own stats, gates and reset;
// attach(ready) / fromEnv() talk to a server another process started (faultline-shared).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const readline = require('node:readline')

const STDERR_LIMIT = 64 * 1024
const NAMESPACE_HEADER = 'x-faultline-namespace'
const SCENARIO_HEADER = 'x-faultline-scenario'
// docs/admin-api.md, "Namespaces": the names the server accepts.
const NAME = /^[A-Za-z0-9._-]{1,64}$/
/** The environment variable faultline-shared hands its server's ready line in. */
const READY_ENV = 'FAULTLINE_READY'

/** An admin API answer that is not 2xx: status, the server's message and JSON path. */
class AdminError extends Error {
  constructor (method, urlPath, status, body) {
    const error = (body && body.error) || {}
    super(`${method} ${urlPath} -> ${status}: ${error.message || JSON.stringify(body)}`)
    this.name = 'AdminError'
    this.status = status
    this.body = body
    this.path = error.path || ''
  }
}

/** The server did not come up: exited, printed something else, or stayed silent. */
class LaunchError extends Error {
  constructor (message, stderr) {
    super(stderr ? `${message}; its stderr:\n${stderr}` : `${message}; its stderr was empty`)
    this.name = 'LaunchError'
    this.stderr = stderr
  }
}

/** faultline-server found on PATH, or null. */
function serverOnPath () {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, 'faultline-server')
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch (err) {
      // not there: the next directory
    }
  }
  return null
}

/** FAULTLINE_SERVER, else the checkout's build/default/fake_server/faultline-server when
 * this module runs from a checkout, else faultline-server on PATH (an installed package),
 * else the bare name (starting it then fails, naming it). */
function defaultServerPath () {
  if (process.env.FAULTLINE_SERVER) return process.env.FAULTLINE_SERVER
  const checkout = path.resolve(__dirname, '..', '..', '..', 'build', 'default', 'fake_server', 'faultline-server')
  if (fs.existsSync(checkout)) return checkout
  return serverOnPath() || 'faultline-server'
}

/** Parses and checks the ready line; throws an Error naming what is wrong. */
function parseReadyLine (line) {
  let ready
  try {
    ready = JSON.parse(line)
  } catch (err) {
    throw new Error(`first stdout line is not JSON: '${line.slice(0, 200)}'`)
  }
  if (ready === null || typeof ready !== 'object' || ready.event !== 'ready') {
    throw new Error(`first stdout line is not a ready event: '${line.slice(0, 200)}'`)
  }
  if (typeof ready.admin !== 'string') throw new Error('ready line lacks "admin"')
  if (typeof ready.https !== 'string' && typeof ready.http !== 'string') {
    throw new Error('ready line has neither "https" nor "http"')
  }
  if (!Number.isInteger(ready.pid)) throw new Error('ready line lacks an integer "pid"')
  return ready
}

/** A bounded tail of a stream, for evidence. */
function captureTail (stream) {
  const tail = { text: '', dropped: 0 }
  stream.setEncoding('utf8')
  stream.on('data', (chunk) => {
    tail.text += chunk
    if (tail.text.length > STDERR_LIMIT) {
      tail.dropped += tail.text.length - STDERR_LIMIT
      tail.text = tail.text.slice(-STDERR_LIMIT)
    }
  })
  return () => (tail.dropped ? `[... ${tail.dropped} earlier bytes dropped ...]\n` : '') + tail.text
}

function adminCall (base, method, urlPath, body, timeoutMs, token) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body))
    const headers = payload === undefined
      ? (method === 'GET' ? { accept: 'application/json' } : { accept: 'application/json', 'content-length': 0 })
      : { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
    if (token) headers.authorization = `Bearer ${token}`
    const req = http.request(base + urlPath, {
      method,
      headers,
      timeout: timeoutMs
    }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json
        try {
          json = text === '' ? {} : JSON.parse(text)
        } catch (err) {
          return reject(new Error(`${method} ${urlPath} -> ${res.statusCode}: answer is not JSON: ${text.slice(0, 200)}`))
        }
        if (res.statusCode < 200 || res.statusCode >= 300) return reject(new AdminError(method, urlPath, res.statusCode, json))
        resolve(json)
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

/**
 * Starts the server and resolves once its ready line is read.
 * options: scenario (file or name), args (array), serverPath (default: defaultServerPath()),
 * readyTimeoutMs (20000), stopTimeoutMs (5000),
 * adminTimeoutMs (5000), env (extra environment), adminToken (passed to the server as
 * FAULTLINE_ADMIN_TOKEN - argv is visible to every user - and sent as a bearer token with
 * every admin call; default: FAULTLINE_ADMIN_TOKEN of the environment).
 * Rejects with a LaunchError (its stderr attached) when the server does not come up.
 */
function start (options = {}) {
  const serverPath = options.serverPath || defaultServerPath()
  const args = []
  if (options.scenario) args.push('--scenario', options.scenario)
  args.push(...(options.args || []))
  const readyTimeoutMs = options.readyTimeoutMs ?? 20000
  const stopTimeoutMs = options.stopTimeoutMs ?? 5000
  const adminTimeoutMs = options.adminTimeoutMs ?? 5000

  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(options.env || {}) }
    if (options.adminToken !== undefined) env.FAULTLINE_ADMIN_TOKEN = options.adminToken
    const adminToken = env.FAULTLINE_ADMIN_TOKEN || undefined
    const child = spawn(serverPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    const stderr = captureTail(child.stderr)
    let exit = null
    // Resolves once the child exited and its pipes are drained - or 1 s after the exit,
    // when something it left behind still holds them (then they are closed here, so
    // nothing keeps the test process alive).
    const exited = new Promise((resolveExit) => {
      const done = () => {
        child.stdout.destroy()
        child.stderr.destroy()
        resolveExit(exit)
      }
      child.on('exit', (code, signal) => {
        exit = { code, signal }
        setTimeout(done, 1000).unref()
      })
      child.on('close', () => { if (exit) done() })
    })
    /** SIGTERM, SIGKILL after stopTimeoutMs; resolves true when SIGKILL was needed. */
    const terminate = async () => {
      if (exit) return false
      child.kill('SIGTERM')
      let timer
      const timeout = new Promise((resolveTimeout) => { timer = setTimeout(() => resolveTimeout(true), stopTimeoutMs) })
      const killed = await Promise.race([exited.then(() => false), timeout])
      clearTimeout(timer)
      if (killed) child.kill('SIGKILL')
      await exited
      return killed
    }
    // Never leave a server behind when the test process ends.
    const killOnExit = () => { if (!exit) child.kill('SIGKILL') }
    process.once('exit', killOnExit)

    let settled = false
    const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity })
    const fail = (message) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      lines.close()
      terminate().then(() => {
        process.removeListener('exit', killOnExit)
        reject(new LaunchError(message, stderr()))
      })
    }
    const timer = setTimeout(() => fail(`${serverPath} printed no ready line within ${readyTimeoutMs} ms (killed)`), readyTimeoutMs)

    child.on('error', (err) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      process.removeListener('exit', killOnExit)
      reject(new LaunchError(`cannot start ${serverPath}: ${err.message}`, ''))
    })
    exited.then(({ code, signal }) => {
      if (!settled) fail(`${serverPath} exited (${signal ? 'signal ' + signal : 'status ' + code}) before its ready line`)
    })
    lines.once('line', (line) => {
      if (settled) return
      let ready
      try {
        ready = parseReadyLine(line)
      } catch (err) {
        return fail(`${serverPath}: ${err.message}`)
      }
      settled = true
      clearTimeout(timer)
      lines.on('line', () => {}) // keep draining stdout
      let stopping = null
      resolve(serverView(ready, adminTimeoutMs, adminToken, {
        stderr,
        attached: false,
        /** SIGTERM, then SIGKILL after stopTimeoutMs. Resolves {ok, code, signal, killed, stderr}. */
        stop () {
          if (stopping) return stopping
          stopping = (async () => {
            const killed = await terminate()
            const { code, signal } = await exited
            process.removeListener('exit', killOnExit)
            return { ok: code === 0 && !killed, code, signal, killed, stderr: stderr() }
          })()
          return stopping
        }
      }))
    })
  })
}

/** The object start() and attach() resolve to: endpoints, admin calls, namespaces. */
function serverView (ready, adminTimeoutMs, adminToken, lifecycle) {
  const admin = (method, urlPath, body) => adminCall(ready.admin, method, urlPath, body, adminTimeoutMs, adminToken)
  const server = {
    https: ready.https,
    http: ready.http,
    admin: ready.admin,
    ca: ready.ca,
    pid: ready.pid,
    scenario: ready.scenario,
    listeners: ready.listeners || {},
    ready,
    health: () => admin('GET', '/v1/health'),
    getScenario: () => admin('GET', '/v1/scenario'),
    putScenario: (scenario) => admin('PUT', '/v1/scenario', scenario),
    reset: () => admin('POST', '/v1/reset'),
    stats: () => admin('GET', '/v1/stats'),
    connections: () => admin('GET', '/v1/connections'),
    connection: (id) => admin('GET', `/v1/connections/${id}`),
    timeline: (id) => admin('GET', `/v1/connections/${id}/timeline`),
    request: (id) => admin('GET', `/v1/requests/${encodeURIComponent(id)}`),
    gates: () => admin('GET', '/v1/gates'),
    release: (gate, count) => admin('POST', `/v1/gates/${encodeURIComponent(gate)}/release`,
      count === undefined ? undefined : { count }),
    call: admin,
    namespace: (name, options = {}) => namespaceView(server, name, options.scenario),
    ...lifecycle
  }
  return server
}

/**
 * One namespace of a shared server (docs/admin-api.md, "Namespaces"): base URLs (https,
 * http, listeners) carrying /n/<name>/ (and /s/<scenario>/), headers with the same choice,
 * and the namespace's own stats, reset, gates, release, request, connections and action.
 */
function namespaceView (server, name, scenario) {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`namespace ${JSON.stringify(name)}: 1..64 letters, digits, '.', '_', '-'`)
  }
  if (scenario !== undefined && (typeof scenario !== 'string' || scenario === '')) {
    throw new TypeError('scenario must be a non-empty name')
  }
  const prefix = `/n/${name}` + (scenario ? `/s/${encodeURIComponent(scenario)}` : '')
  const query = `?namespace=${name}`
  const listeners = {}
  for (const [key, origin] of Object.entries(server.listeners)) listeners[key] = origin + prefix
  const headers = { [NAMESPACE_HEADER]: name }
  if (scenario) headers[SCENARIO_HEADER] = scenario
  const https = server.https ? server.https + prefix : undefined
  const http = server.http ? server.http + prefix : undefined
  return {
    server,
    name,
    scenario,
    prefix,
    headers,
    https,
    http,
    listeners,
    ca: server.ca,
    url: (urlPath, listener) => (listener ? listeners[listener] : (https || http)) + urlPath,
    stats: () => server.call('GET', '/v1/stats' + query),
    reset: () => server.call('POST', '/v1/reset' + query),
    connections: () => server.call('GET', '/v1/connections' + query),
    request: (id) => server.call('GET', `/v1/requests/${encodeURIComponent(id)}${query}`),
    gates: () => server.call('GET', '/v1/gates' + query),
    release: (gate, count) => server.call('POST', `/v1/gates/${encodeURIComponent(gate)}/release${query}`,
      count === undefined ? undefined : { count }),
    action: (action) => server.call('POST', '/v1/actions' + query, action)
  }
}

/**
 * A server another process started and owns, from its ready line (object or JSON text):
 * admin calls and namespaces work; stop() leaves it running.
 * options: adminTimeoutMs (5000), adminToken (default: FAULTLINE_ADMIN_TOKEN).
 */
function attach (ready, options = {}) {
  const parsed = parseReadyLine(typeof ready === 'string' ? ready : JSON.stringify(ready))
  const adminToken = options.adminToken ?? (process.env.FAULTLINE_ADMIN_TOKEN || undefined)
  return serverView(parsed, options.adminTimeoutMs ?? 5000, adminToken, {
    stderr: () => '',
    attached: true,
    stop: async () => ({ ok: true, code: null, signal: null, killed: false, stderr: '' })
  })
}

/** attach() to the server whose ready line is in FAULTLINE_READY (set by faultline-shared), or null. */
function fromEnv (options = {}) {
  const ready = process.env[READY_ENV]
  return ready ? attach(ready, options) : null
}

module.exports = {
  start,
  attach,
  fromEnv,
  parseReadyLine,
  defaultServerPath,
  AdminError,
  LaunchError,
  NAMESPACE_HEADER,
  SCENARIO_HEADER,
  READY_ENV
}
