'use strict'
// Receive backpressure for the Node drivers (docs/driver-protocol.md, pause/resume): a
// paused request stops taking its response body from the library, whose own flow
// control then decides what the server may still send.

const { Readable } = require('node:stream')

/** Marks the request paused; its body loop waits in whilePaused(). */
function pause (state) {
  if (state && !state.paused) {
    state.paused = true
    state.resumed = new Promise((resolve) => { state.resume = resolve })
  }
}

/** Ends a pause: the body loop takes chunks again. */
function resume (state) {
  if (state && state.paused) {
    state.paused = false
    state.resume()
  }
}

/** Resolves once the request is not paused. */
function whilePaused (state) {
  return state.paused ? state.resumed : undefined
}

/** The request body: bytes in memory, or with body_stream a one-shot stream the library
    cannot replay. */
function requestBody (msg) {
  if (msg.body_b64 === undefined) return undefined
  const bytes = Buffer.from(msg.body_b64, 'base64')
  return msg.body_stream ? Readable.from([bytes], { objectMode: false }) : bytes
}

module.exports = { pause, resume, whilePaused, requestBody }
