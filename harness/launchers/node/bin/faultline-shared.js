#!/usr/bin/env node
'use strict'
// faultline-shared: one faultline-server for a whole parallel suite. Starts the server,
// runs COMMAND with its ready line in FAULTLINE_READY (fromEnv() in the test files attaches
// to it), stops the server and exits with COMMAND's status.
//
//   faultline-shared [--scenario NAME|FILE] [--server PATH] -- node --test test/

const { spawn } = require('node:child_process')
const { start, READY_ENV } = require('..')

const USAGE = `usage: faultline-shared [--scenario NAME|FILE] [--server PATH] -- COMMAND [ARG...]
Starts faultline-server, runs COMMAND with the server's ready line in ${READY_ENV},
stops the server, exits with COMMAND's status (2 on a usage or start-up error).`

function parse (argv) {
  const options = {}
  let i = 0
  for (; i < argv.length && argv[i] !== '--'; ++i) {
    const arg = argv[i]
    if (arg === '--help' || arg === '-h') return { help: true }
    if ((arg === '--scenario' || arg === '--server') && i + 1 < argv.length) {
      options[arg === '--scenario' ? 'scenario' : 'serverPath'] = argv[++i]
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}`)
    }
  }
  const command = argv.slice(i + 1)
  if (command.length === 0) throw new Error('no COMMAND after --')
  return { options, command }
}

async function main () {
  let parsed
  try {
    parsed = parse(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`faultline-shared: error: ${err.message}\n${USAGE}\n`)
    return 2
  }
  if (parsed.help) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  let server
  try {
    server = await start(parsed.options)
  } catch (err) {
    process.stderr.write(`faultline-shared: error: ${err.message}\n`)
    return 2
  }
  const env = { ...process.env, [READY_ENV]: JSON.stringify(server.ready) }
  const child = spawn(parsed.command[0], parsed.command.slice(1), { stdio: 'inherit', env })
  const status = await new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`faultline-shared: error: cannot run ${parsed.command[0]}: ${err.message}\n`)
      resolve(2)
    })
    child.on('exit', (code, signal) => resolve(signal ? 1 : code))
  })
  const stopped = await server.stop()
  if (!stopped.ok) {
    process.stderr.write(`faultline-shared: the server did not stop cleanly: ${JSON.stringify(stopped)}\n`)
    return status === 0 ? 1 : status
  }
  return status
}

main().then((code) => { process.exitCode = code })
