'use strict'
// The JSON-lines plumbing of a Node driver (docs/driver-protocol.md): one write per
// protocol line on stdout, backpressure towards the harness (a body is read no faster
// than the harness reads stdout, so a timeout or abort event is written right behind the
// data already sent, not behind megabytes of queued lines), operations read from stdin.

const readline = require('node:readline')

/** Writes one protocol line; false when stdout's buffer is full (then await drained()). */
function write (obj) {
  return process.stdout.write(JSON.stringify(obj) + '\n')
}

let drain = null
/** Resolves once stdout has drained. */
function drained () {
  if (!drain) drain = new Promise((resolve) => process.stdout.once('drain', () => { drain = null; resolve() }))
  return drain
}

/** Calls onOp(msg, line) for each JSON line on stdin, onClose at EOF. */
function readOperations (tag, onOp, onClose) {
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  input.on('line', (line) => {
    if (line.trim() === '') return
    let msg
    try {
      msg = JSON.parse(line)
    } catch (err) {
      process.stderr.write(`${tag}: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`)
      return
    }
    onOp(msg, line)
  })
  input.on('close', onClose)
}

/** Exits with status 0 once stdout has flushed what is queued (or after 1 s, when the
    harness stopped reading). */
function exitWhenFlushed () {
  setTimeout(() => process.exit(0), 1000).unref()
  process.stdout.write('', () => process.exit(0))
}

/** Whether a request operation may start: a malformed one is logged, an invalid URL or
    a request during shutdown ends at once with an error event of kind other. */
function acceptRequest (tag, msg, line, shuttingDown) {
  if (!Number.isInteger(msg.id) || msg.id < 1 || typeof msg.url !== 'string') {
    process.stderr.write(`${tag}: ignoring a malformed request: ${line.slice(0, 200)}\n`)
    return false
  }
  try {
    new URL(msg.url) // eslint-disable-line no-new
  } catch (err) {
    write({ id: msg.id, event: 'error', kind: 'other', message: `invalid url '${msg.url}'` })
    return false
  }
  if (shuttingDown) {
    write({ id: msg.id, event: 'error', kind: 'other', message: 'driver is shutting down' })
    return false
  }
  return true
}

module.exports = { write, drained, readOperations, exitWhenFlushed, acceptRequest }
