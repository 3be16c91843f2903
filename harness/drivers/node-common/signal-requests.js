'use strict'
// Requests in flight of a driver whose client is cancelled through an AbortSignal (the
// fetch driver): one AbortController per request, timeout_ms as a timer that
// aborts it, the counters and the terminal error event.

const { performance } = require('node:perf_hooks')
const { write } = require('./protocol-io')

/** The reason given to AbortController.abort(): why the driver cancelled the request. */
class DriverAbort extends Error {
  constructor (why) {
    super(why === 'timeout' ? 'timeout_ms passed' : 'aborted by the caller')
    this.name = why === 'timeout' ? 'TimeoutError' : 'AbortError'
    this.why = why
  }
}

/** Milliseconds since `state.start`, rounded to microseconds. */
function elapsedMs (state) {
  return Math.round((performance.now() - state.start) * 1000) / 1000
}

/**
 * perform(msg, state) runs one request and writes its headers, data and end events
 * (calling settle(id, state, 'requests_completed') first); a rejection becomes the
 * error event, of the kind classify(err, state) gives, described by describe(err).
 */
function signalRequests ({ counters, perform, classify, describe }) {
  const inFlight = new Map() // id -> { controller, timer, why, start }

  // Bookkeeping before a terminal event, so that a stats answer read after it includes it.
  function settle (id, state, counter) {
    clearTimeout(state.timer)
    inFlight.delete(id)
    counters[counter]++
  }

  function start (msg) {
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
      write({ id: msg.id, event: 'error', kind, message: describe(err), t_ms: elapsedMs(state) })
    })
  }

  function abort (id) {
    const state = inFlight.get(id)
    if (!state || state.why) return
    state.why = 'aborted'
    state.controller.abort(new DriverAbort('aborted'))
  }

  function abortAll () {
    for (const id of inFlight.keys()) abort(id)
  }

  return { start, abort, abortAll, settle, inFlight }
}

module.exports = { signalRequests, elapsedMs }
