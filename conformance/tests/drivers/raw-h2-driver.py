#!/usr/bin/env python3
"""TEST ONLY: a scripted driver (docs/driver-protocol.md) that speaks HTTP/2 by hand and
ignores the server's SETTINGS_MAX_CONCURRENT_STREAMS: it acknowledges the SETTINGS, then
opens every stream it is asked for at once. Libraries built on nghttp2 cannot do that,
so the proofs use this to show that POOL-SERVER-LIMIT fails a client exceeding a limit
it has acknowledged.

One TLS connection per origin (ALPN h2), GET and POST only, response status decoded only
when HPACK sends it as a static index (200, 204, 206, 304, 400, 404, 500), else 500.
Aborts end the request at once (kind aborted). Usage: raw-h2-driver.py --ca FILE
"""
import base64
import json
import os
import select
import socket
import ssl
import struct
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "cmake", "fuzz"))
from h2_frames import frame, hpack  # noqa: E402

STATUS_INDEX = {8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500}
out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


class Connection:
    def __init__(self, origin, ca):
        url = urllib.parse.urlsplit(origin)
        context = ssl.create_default_context(cafile=ca)
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection((url.hostname, url.port or 443))
        self.sock = context.wrap_socket(raw, server_hostname=url.hostname)
        self.authority = url.netloc
        self.write_lock = threading.Lock()
        self.next_stream = 1
        self.streams = {}  # stream id -> {"id": request id, "headers": bool}
        self.lock = threading.Lock()
        self.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
        threading.Thread(target=self.read_loop, daemon=True).start()

    def send(self, data):
        with self.write_lock:
            self.sock.sendall(data)

    def request(self, msg, path):
        body = base64.b64decode(msg["body_b64"]) if "body_b64" in msg else None
        block = hpack([
            (":method", msg.get("method", "GET")), (":scheme", "https"),
            (":authority", self.authority), (":path", path)])
        for name, value in msg.get("headers", {}).items():
            for v in value if isinstance(value, list) else [value]:
                block += hpack([(name.lower(), v)])
        with self.lock:
            stream = self.next_stream
            self.next_stream += 2
            self.streams[stream] = {"id": msg["id"], "headers": False}
            flags = 0x4 | (0x1 if body is None else 0)
            data = frame(1, flags, stream, block)
            if body is not None:
                data += frame(0, 0x1, stream, body)
            self.send(data)  # in stream order: ids must increase on the wire

    def finish(self, stream, event):
        with self.lock:
            state = self.streams.pop(stream, None)
        if state is not None and not state.get("aborted"):
            emit(dict(event, id=state["id"]))

    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            # One TLS call at a time: OpenSSL's SSL object is not safe for a read in one
            # thread while another writes (records came out corrupt: bad record mac).
            # Wait for bytes outside the lock, then read under it without blocking (the
            # bytes may be a partial record or a record with no data, e.g. a ticket).
            if not self.sock.pending():
                select.select([self.sock], [], [])
            with self.write_lock:
                self.sock.setblocking(False)
                try:
                    chunk = self.sock.recv(n - len(buf))
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                finally:
                    self.sock.setblocking(True)
            if not chunk:
                raise ConnectionError("connection closed")
            buf += chunk
        return buf

    def read_loop(self):
        try:
            while True:
                head = self.read_exact(9)
                length = int.from_bytes(head[0:3], "big")
                ftype, flags = head[3], head[4]
                stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
                payload = self.read_exact(length)
                self.on_frame(ftype, flags, stream, payload)
        except Exception as err:  # the connection ended: fail what is left
            with self.lock:
                left = list(self.streams)
            for stream in left:
                self.finish(stream, {"event": "error", "kind": "network", "message": str(err)})

    def on_frame(self, ftype, flags, stream, payload):
        if ftype == 4 and not flags & 0x1:
            self.send(frame(4, 0x1, 0))  # SETTINGS ACK: the limit is now acknowledged
        elif ftype == 6 and not flags & 0x1:
            self.send(frame(6, 0x1, 0, payload))
        elif ftype == 1:
            block = payload[1 + payload[0]:] if flags & 0x8 else payload
            status = STATUS_INDEX.get(block[0] & 0x7F, 500) if block and block[0] & 0x80 else 500
            with self.lock:
                state = self.streams.get(stream)
                first = state is not None and not state["headers"]
                if first:
                    state["headers"] = True
            if first and not state.get("aborted"):
                emit({"id": state["id"], "event": "headers", "status": status, "headers": {}, "protocol": "h2"})
            if flags & 0x1:
                self.finish(stream, {"event": "end"})
        elif ftype == 0:
            data = payload[1:len(payload) - payload[0]] if flags & 0x8 else payload
            with self.lock:
                state = self.streams.get(stream)
            if state is not None and data and not state.get("aborted"):
                emit({"id": state["id"], "event": "data", "b64": base64.b64encode(data).decode()})
            if data:
                self.send(frame(8, 0, 0, struct.pack(">I", len(payload))) +
                          frame(8, 0, stream, struct.pack(">I", len(payload))))
            if flags & 0x1:
                self.finish(stream, {"event": "end"})
        elif ftype == 3:
            code = int.from_bytes(payload[:4], "big")
            self.finish(stream, {"event": "error", "kind": "protocol", "message": f"RST_STREAM {code}"})

    def abort(self, request_id):
        with self.lock:
            for stream, state in self.streams.items():
                if state["id"] == request_id and not state.get("aborted"):
                    state["aborted"] = True
                    emit({"id": request_id, "event": "error", "kind": "aborted", "message": "aborted"})
                    self.send(frame(3, 0, stream, struct.pack(">I", 8)))


def main():
    ca = sys.argv[sys.argv.index("--ca") + 1] if "--ca" in sys.argv else None
    connections = {}
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg.get("op")
        if op == "hello":
            emit({"event": "hello", "protocol": 1, "name": "raw-h2", "version": "0", "max_sessions": 1,
                  "max_streams": 1000, "h2": True, "api": "frames",
                  "capabilities": {"idle_timeout_ms": 0, "liveness_timeout_ms": 0, "retries_421": False}})
        elif op == "request":
            url = urllib.parse.urlsplit(msg["url"])
            origin = f"{url.scheme}://{url.netloc}"
            try:
                if origin not in connections:
                    connections[origin] = Connection(origin, ca)
                connections[origin].request(msg, (url.path or "/") + (f"?{url.query}" if url.query else ""))
            except Exception as err:
                emit({"id": msg["id"], "event": "error", "kind": "network", "message": str(err)})
        elif op == "abort":
            for c in connections.values():
                c.abort(msg["id"])
        elif op == "stats":
            emit({"event": "stats", "connections_opened": len(connections)})
        elif op == "shutdown":
            break


if __name__ == "__main__":
    main()
