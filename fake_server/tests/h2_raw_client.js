// A raw HTTP/2 client over cleartext TCP (h2c prior knowledge) for the fault tests: it
// sees every frame the server writes, including frames a compliant library would
// drop (DATA after END_STREAM or after our RST_STREAM, DATA on idle streams).
//
// node h2_raw_client.js PORT CONFIG_JSON
//   CONFIG: {"requests":[{"path":"/x","id":"tag"}],   sent after the server's SETTINGS is ACKed;
//                                                    a request with "after_ms":N waits for the
//                                                    one before it to end (END_STREAM or RST),
//                                                    then N ms (an idle pause), and is sent alone
//            "rst_on_data":true,                      RST_STREAM(CANCEL) at a stream's first DATA
//            "until":{"late":N},                     stop after N late DATA frames (payload all
//                                                    'x') on streams that ended or that we reset
//            "until_refused":N,                      stop after N RST_STREAM(REFUSED_STREAM)
//            "until_trailers":true,                  stop at a HEADERS+END_STREAM on a stream we reset
//            "until_data_on":ID,                     stop at a DATA frame on stream ID
//            "until_settings":N,                     stop after N server SETTINGS (non-ACK)
//            "until_pings":N,                        stop after N server PINGs (each ACKed)
//            "deadline_ms":20000}
// Prints one JSON line: {"frames":[{"type":0,"stream":1,"flags":1,"length":8,"x":true,
//   "error":7,"last":3,"counter":1,"settings":{"3":10}}],"partial":{"declared":N,"type":1,"payload":N}|null,
//   "closed":bool,"socket_error":"ECONNRESET"|"","timed_out":bool}
'use strict';
const net = require('net');

const port = Number(process.argv[2]);
const config = JSON.parse(process.argv[3] || '{}');
const frames = [];
let socketError = '';
let done = false;

function frame(type, flags, stream, payload) {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

function literal(name, value) {
  // HPACK literal without indexing, new name, no Huffman (lengths < 127 here).
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name),
                        Buffer.from([value.length]), Buffer.from(value)]);
}

function finish(timedOut) {
  if (done) return;
  done = true;
  // A frame cut by the close: its declared payload length and the bytes that came.
  const partial = buffer.length >= 9 ? {declared: buffer.readUIntBE(0, 3), type: buffer[3],
                                         payload: buffer.length - 9} : null;
  process.stdout.write(JSON.stringify({frames, closed: !timedOut, socket_error: socketError,
                                       timed_out: timedOut, partial}) + '\n');
  process.exit(0);
}

const socket = net.connect(port, '127.0.0.1', () => {
  socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
                              frame(4, 0, 0, Buffer.alloc(0))]));
});
setTimeout(() => { socket.destroy(); finish(true); }, config.deadline_ms || 20000);

const ended = new Set();  // streams that ended (server END_STREAM) or that we reset
let late = 0;
let refused = 0;
let pings = 0;
let settingsFrames = 0;
let buffer = Buffer.alloc(0);
let sentRequests = false;

function requestFrame(request, i) {
  const block = Buffer.concat([
    literal(':method', request.method || 'GET'), literal(':path', request.path),
    literal(':scheme', 'http'), literal(':authority', 'fault-test'),
    request.id ? literal('x-faultline-request-id', request.id) : Buffer.alloc(0)]);
  return frame(1, 0x5, 2 * i + 1, block);  // END_STREAM | END_HEADERS
}

const requests = config.requests || [];
let nextRequest = 0;  // the first request not sent yet

// Sends the requests up to the next one that waits for an idle pause.
function sendRequests() {
  const out = [];
  do {
    out.push(requestFrame(requests[nextRequest], nextRequest));
    nextRequest++;
  } while (nextRequest < requests.length && requests[nextRequest].after_ms === undefined);
  socket.write(Buffer.concat(out));
}

// A stream ended: the request waiting for it goes out after its pause.
function onStreamEnded(stream) {
  if (nextRequest < requests.length && stream === 2 * nextRequest - 1) {
    setTimeout(() => { if (!done) sendRequests(); }, requests[nextRequest].after_ms);
  }
}

function onFrame(type, flags, stream, payload) {
  const seen = {type, stream, flags, length: payload.length};
  if (type === 0) seen.x = payload.length > 0 && payload.every((b) => b === 0x78);
  if (type === 3) seen.error = payload.readUInt32BE(0);
  if (type === 7) { seen.last = payload.readUInt32BE(0) & 0x7fffffff; seen.error = payload.readUInt32BE(4); }
  frames.push(seen);
  if (type === 4 && !(flags & 1)) {
    seen.settings = {};
    for (let i = 0; i + 6 <= payload.length; i += 6)
      seen.settings[payload.readUInt16BE(i)] = payload.readUInt32BE(i + 2);
    settingsFrames++;
    socket.write(frame(4, 1, 0, Buffer.alloc(0)));  // ACK, then the requests
    if (!sentRequests && requests.length > 0) { sentRequests = true; sendRequests(); }
  } else if (type === 6 && !(flags & 1)) {
    seen.counter = Number(payload.readBigUInt64BE(0));
    pings++;
    socket.write(frame(6, 1, 0, payload));
  } else if (type === 0 || type === 1) {
    if (type === 0 && ended.has(stream) && seen.x) late++;
    if (type === 0 && config.until_data_on === stream) {
      finish(false);
      return;
    }
    if (type === 1 && (flags & 1) && ended.has(stream) && config.until_trailers) {
      finish(false);
      return;
    }
    if (type === 0 && payload.length > 0) {
      // Keep the connection window open, late DATA included (RFC 9113 6.9).
      const inc = Buffer.alloc(4); inc.writeUInt32BE(payload.length);
      socket.write(frame(8, 0, 0, inc));
    }
    if (type === 0 && config.rst_on_data && !ended.has(stream)) {
      ended.add(stream);
      const code = Buffer.alloc(4); code.writeUInt32BE(8);  // CANCEL
      socket.write(frame(3, 0, stream, code));
    }
    if (flags & 1) { ended.add(stream); onStreamEnded(stream); }
  } else if (type === 3) {
    ended.add(stream);
    onStreamEnded(stream);
    if (seen.error === 7) refused++;
  }
  if (config.until && late >= config.until.late) finish(false);
  if (config.until_refused && refused >= config.until_refused) finish(false);
  if (config.until_pings && pings >= config.until_pings) finish(false);
  if (config.until_settings && settingsFrames >= config.until_settings) finish(false);
}

socket.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 9) {
    const length = buffer.readUIntBE(0, 3);
    if (buffer.length < 9 + length) break;
    onFrame(buffer[3], buffer[4], buffer.readUInt32BE(5) & 0x7fffffff, buffer.subarray(9, 9 + length));
    buffer = buffer.subarray(9 + length);
  }
});
socket.on('error', (e) => { socketError = e.code || String(e); });
socket.on('close', () => finish(false));
