#!/usr/bin/env node
// A controllable TLS test peer for the transport's integration tests (Node 20, no
// dependencies). Listens on 127.0.0.1 port 0 and prints one line: {"port":N}.
//
//   node peer.js --key KEY --cert CERT [--mode MODE] [--max-streams N]
//
// MODE: h2 (ALPN h2 + http/1.1), h1 (selects http/1.1 only), refuse-h2 (fails any
// handshake that offers h2 with the no_application_protocol alert), none (no ALPN).
'use strict';
const fs = require('fs');
const http2 = require('http2');
const https = require('https');

function usage(message) {
  if (message) process.stderr.write(`peer.js: error: ${message}\n`);
  process.stdout.write('usage: node peer.js --key KEY --cert CERT [--mode h2|h1|refuse-h2|none] [--max-streams N]\n');
  process.exit(message ? 2 : 0);
}

const args = { mode: 'h2', maxStreams: 100 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => { if (i + 1 >= process.argv.length) usage(`${a} needs a value`); return process.argv[++i]; };
  if (a === '--key') args.key = next();
  else if (a === '--cert') args.cert = next();
  else if (a === '--mode') args.mode = next();
  else if (a === '--max-streams') args.maxStreams = Number(next());
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown argument ${a}`);
}
if (!args.key || !args.cert) usage('--key and --cert are required');
if (!['h2', 'h1', 'refuse-h2', 'none'].includes(args.mode)) usage(`unknown mode ${args.mode}`);

// ---- What the tests read back (GET /stats).
const stats = {
  connections_total: 0, connections_served: 0, h2_sessions: 0, h1_connections: 0, alpn: {},
  peak_streams: 0, requests_total: 0, requests: {}, rst_received: 0, goaway_sent: 0,
};
const sessions = new Set();    // live h2 sessions
const sockets = new Set();     // live TLS sockets
const gates = new Map();       // name -> [release functions]

function countRequest(req) {
  // A connection counts once it carries a request that is not a control request.
  const conn = req.stream ? req.stream.session : req.socket;
  if (conn && !conn.servedData) {
    conn.servedData = true;
    stats.connections_served++;
  }
  const headers = req.headers;
  stats.requests_total++;
  const id = headers['x-faultline-request-id'];
  if (id) stats.requests[id] = (stats.requests[id] || 0) + 1;
}

function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 255;
  return b;
}

// One handler for h2 (compat API) and h1: req/res have the same shape.
function handle(req, res) {
  const url = new URL(req.url, 'https://peer');
  const parts = url.pathname.split('/').filter(Boolean);
  const q = url.searchParams;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (parts[0] === 'stats' || parts[0] === 'admin' || parts[0] === 'release') {
      return control(parts, q, res);
    }
    countRequest(req);
    res.setHeader('x-faultline-request-id', req.headers['x-faultline-request-id'] || '');
    // ?hold=GATE holds any route until /release/GATE.
    const gate = q.get('hold');
    if (gate) {
      q.delete('hold');
      if (!gates.has(gate)) gates.set(gate, []);
      gates.get(gate).push(() => { if (!res.destroyed) route(req, res, parts, q, body); });
      return;
    }
    route(req, res, parts, q, body);
  });
}

function route(req, res, parts, q, body) {
  switch (parts[0]) {
    case 'hello':
      return res.end('hello');
    case 'delay':
      return setTimeout(() => res.end('ok'), Number(parts[1] || 0));
    case 'echo':
      res.setHeader('x-method', req.method);
      res.setHeader('x-body-length', String(body.length));
      if (req.headers['content-type']) res.setHeader('content-type', req.headers['content-type']);
      return res.end(body);
    case 'headers':
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ method: req.method, headers: req.headers, body_length: body.length }));
    case 'bytes':
      return res.end(pattern(Number(parts[1] || 0)));
    case 'status':
      res.statusCode = Number(parts[1] || 200);
      return res.end(q.get('body') || '');
    case 'loop':
      res.statusCode = 302;
      res.setHeader('location', req.url);
      return res.end();
    case 'redirect': {
      res.statusCode = Number(parts[1] || 302);
      res.setHeader('location', q.get('to') || '/hello');
      return res.end('redirecting');
    }
    case 'sse': {
      const n = Number(q.get('n') || 3);
      const interval = Number(q.get('interval') || 10);
      res.setHeader('content-type', 'text/event-stream');
      res.setHeader('cache-control', 'no-cache');
      if (res.flushHeaders) res.flushHeaders();
      let i = 0;
      const tick = () => {
        if (i === n) return res.end();
        res.write(`id: ${i}\ndata: event ${i}\n\n`);
        i++;
        setTimeout(tick, interval);
      };
      return tick();
    }
    case 'hold': {
      const name = parts[1] || 'default';
      if (!gates.has(name)) gates.set(name, []);
      gates.get(name).push(() => { if (!res.writableEnded && !res.destroyed) res.end('released'); });
      return;
    }
    case 'refuse-once': {
      const key = parts[1] || 'default';
      stats.refused = stats.refused || {};
      if (!stats.refused[key] && req.stream) {
        stats.refused[key] = 1;
        return req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      }
      return res.end('accepted');
    }
    case 'refuse-always':
      if (req.stream) return req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return res.end('h1');
    case 'reset':
      if (req.stream) return req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return req.socket.destroy();
    default:
      res.statusCode = 404;
      return res.end('not found');
  }
}

// Control endpoints: never counted as requests.
function control(parts, q, res) {
  res.setHeader('content-type', 'application/json');
  if (parts[0] === 'stats') return res.end(JSON.stringify(stats));
  if (parts[0] === 'release') {
    const held = gates.get(parts[1] || 'default') || [];
    gates.delete(parts[1] || 'default');
    held.forEach((f) => f());
    return res.end(JSON.stringify({ released: held.length }));
  }
  const action = parts[1];
  if (action === 'held') {
    const held = gates.get(q.get('gate') || 'default') || [];
    return res.end(JSON.stringify({ held: held.length }));
  }
  if (action === 'goaway') {
    // GOAWAY on every h2 session; last-stream-id = the oldest open stream (or all).
    for (const s of sessions) {
      let last = 0;
      if (q.get('last') === 'oldest') {
        const ids = [...(s.openIds || [])];
        last = ids.length ? Math.min(...ids) : 0;
      } else if (q.get('last') !== null) {
        last = Number(q.get('last'));
      } else {
        last = 2 ** 31 - 1;
      }
      s.goaway(http2.constants.NGHTTP2_NO_ERROR, last);
      stats.goaway_sent++;
    }
    return res.end(JSON.stringify({ sessions: sessions.size }));
  }
  if (action === 'settings') {
    // Answer once every session acknowledged the new SETTINGS (the client applied them).
    const all = [...sessions].map((s) => new Promise((resolve) =>
      s.settings({ maxConcurrentStreams: Number(q.get('max')) }, () => resolve())));
    Promise.all(all).then(() => res.end(JSON.stringify({ sessions: all.length })));
    return;
  }
  if (action === 'kill') {
    // Every connection but this control one, after this answer is on its way.
    const victims = [...sockets].filter((s) => s !== res.socket);
    res.end(JSON.stringify({ killed: victims.length }), () => victims.forEach((s) => s.destroy()));
    return;
  }
  res.statusCode = 404;
  return res.end(JSON.stringify({ error: 'unknown control' }));
}

const tls = { key: fs.readFileSync(args.key), cert: fs.readFileSync(args.cert) };
let server;
if (args.mode === 'h2') {
  server = http2.createSecureServer({ ...tls, allowHTTP1: true, settings: { maxConcurrentStreams: args.maxStreams } }, handle);
  server.on('session', (session) => {
    stats.h2_sessions++;
    sessions.add(session);
    session.openIds = new Set();
    session.active = 0;
    session.on('stream', (stream) => {
      session.openIds.add(stream.id);
      session.active++;
      stats.peak_streams = Math.max(stats.peak_streams, session.active);
      stream.on('aborted', () => { stats.rst_received++; });
      stream.on('close', () => {
        session.openIds.delete(stream.id);
        session.active--;
      });
    });
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
} else {
  const options = { ...tls };
  if (args.mode === 'h1') options.ALPNProtocols = ['http/1.1'];
  if (args.mode === 'refuse-h2') {
    options.ALPNCallback = ({ protocols }) => (protocols.includes('h2') ? undefined : 'http/1.1');
  }
  server = https.createServer(options, handle);
  server.keepAliveTimeout = 60000;
}
server.on('secureConnection', (socket) => {
  stats.connections_total++;
  const alpn = socket.alpnProtocol || '';
  stats.alpn[alpn || 'none'] = (stats.alpn[alpn || 'none'] || 0) + 1;
  if (alpn !== 'h2') stats.h1_connections++;
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {});
});
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
