#!/usr/bin/env python3
"""Hostile clients for the hostile test battery (hostile_test.cpp), cleartext only.

    hostile_client.py ATTACK PORT [COUNT] [DEADLINE_S]

Each attack is bounded by COUNT (frames, connections or bytes, see below) and by
DEADLINE_S seconds, and prints one JSON line saying what the server did:
  h2 floods (COUNT frames on one h2c connection):
    settings, ping, window_update, empty_data, priority, rapid_reset, held_streams
      -> {"goaway": ERROR_CODE|null, "closed": bool, "sent": N, "refused": N}
  blind_ping (COUNT PINGs on one h2c connection, written in 256 KiB runs with what
    arrived read between runs; neither the GOAWAY nor the server's FIN stops it, a failed
    write does, as for a client that takes a failed write for a dead connection)
      -> {"goaway": ERROR_CODE|null, "closed": bool, "write_failed": bool, "sent": N,
          "sent_after_goaway": N, "end": "eof"|"reset"|"open"}
  connection attacks (COUNT connections):
    slow_headers (an HTTP/1.1 head dripped one byte per 50 ms), silent (nothing at all),
    idle_h2 (preface and SETTINGS, then nothing), connections (open; those the server
    closes within 2 s were refused)
      -> {"opened": N, "closed_by_server": N, "goaways": {CODE: N}}
  pipeline (COUNT bytes of pipelined HTTP/1.1 requests behind a held one)
      -> {"sent": BYTES, "blocked": bool, "error": "" or the socket error}
Standard library only.
"""
import json
import select
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 2, 3, 4, 6, 7, 8


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    # HPACK literal without indexing, new name, no Huffman (short strings only).
    return bytes([0, len(name)]) + name + bytes([len(value)]) + value


def request_block(path, method=b"GET"):
    return (literal(b":method", method) + literal(b":path", path) + literal(b":scheme", b"http") +
            literal(b":authority", b"hostile"))


class H2:
    """One h2c connection that reads what the server sends without blocking on it."""

    def __init__(self, port, receive_buffer=0):
        if receive_buffer:
            # A small window: the server's output backs up in its own send queue.
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            self.sock.settimeout(10)
            self.sock.connect(("127.0.0.1", port))
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setblocking(False)
        self.buffer = b""
        self.goaway = None
        self.closed = False
        self.refused = 0
        self.write_failed = False
        self.received = 0
        self.end = "open"
        self.send(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data):
        view = memoryview(data)
        end = time.monotonic() + 10
        while view and not self.closed and time.monotonic() < end:
            self.read()
            try:
                n = self.sock.send(view)
                view = view[n:]
            except BlockingIOError:
                select.select([self.sock], [self.sock], [], 0.05)
            except OSError:
                self.closed = True

    def read(self, wait=0.0):
        if self.closed:
            return
        ready, _, _ = select.select([self.sock], [], [], wait)
        if not ready:
            return
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self.closed = True
            self.end = "reset"
            return
        if not chunk:
            self.closed = True
            self.end = "eof"
            return
        self.received += len(chunk)
        self.buffer += chunk
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == GOAWAY and len(payload) >= 8 and self.goaway is None:
                self.goaway = int.from_bytes(payload[4:8], "big")
            elif kind == SETTINGS and not flags & 1:
                self.send(frame(SETTINGS, 1, 0))
            elif kind == RST_STREAM and len(payload) == 4 and int.from_bytes(payload, "big") == 7:
                self.refused += 1

    def write_blind(self, data, deadline):
        """Writes all of data without reading; a failed write ends the connection."""
        view = memoryview(data)
        while view and not self.write_failed and time.monotonic() < deadline:
            try:
                view = view[self.sock.send(view):]
            except BlockingIOError:
                select.select([], [self.sock], [], 0.05)
            except OSError:
                self.closed = True
                self.write_failed = True

    def read_ready(self):
        """Reads what has arrived (bounded: the server may be writing all the while)."""
        for _ in range(256):
            before = self.received
            self.read()
            if self.closed or self.received == before:
                return

    def drain(self, deadline):
        while not self.closed and time.monotonic() < deadline:
            self.read(0.05)


def flood(port, attack, count, deadline):
    conn = H2(port)
    sent = 0
    batch = []

    def flush():
        conn.send(b"".join(batch))
        batch.clear()

    stream = 1
    if attack == "empty_data":
        conn.send(frame(HEADERS, 0x4, stream, request_block(b"/echo", b"POST")))
    for i in range(count):
        if conn.closed or conn.goaway is not None or time.monotonic() > deadline:
            break
        if attack == "settings":
            batch.append(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)))
        elif attack == "ping":
            batch.append(frame(PING, 0, 0, struct.pack(">Q", i)))
        elif attack == "window_update":
            batch.append(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)))
        elif attack == "empty_data":
            batch.append(frame(DATA, 0, stream, b""))
        elif attack == "priority":
            batch.append(frame(PRIORITY, 0, 2 * i + 1, struct.pack(">IB", 0, 15)))
        elif attack == "rapid_reset":
            batch.append(frame(HEADERS, 0x5, stream, request_block(b"/slow")))
            batch.append(frame(RST_STREAM, 0, stream, struct.pack(">I", 8)))
            stream += 2
        elif attack == "held_streams":
            batch.append(frame(HEADERS, 0x5, stream, request_block(b"/hold")))
            stream += 2
        sent += 1
        if len(batch) >= 100:
            flush()
    flush()
    if attack == "held_streams":
        # Let the server answer, then leave with every stream still held.
        end = min(deadline, time.monotonic() + 2)
        while time.monotonic() < end and conn.refused + 100 < sent and not conn.closed:
            conn.read(0.05)
    else:
        conn.drain(deadline)
    return {"goaway": conn.goaway, "closed": conn.closed, "sent": sent, "refused": conn.refused}


def blind_ping(port, count, deadline):
    conn = H2(port)
    ping = frame(PING, 0, 0, bytes(8))
    per_run = 256 * 1024 // len(ping)
    sent = 0
    sent_at_goaway = None
    while sent < count and not conn.write_failed and time.monotonic() < deadline:
        n = min(per_run, count - sent)
        conn.write_blind(ping * n, deadline)
        if not conn.write_failed:
            sent += n
        conn.read_ready()
        if conn.goaway is not None and sent_at_goaway is None:
            sent_at_goaway = sent
    conn.drain(deadline)
    return {"goaway": conn.goaway, "closed": conn.closed, "write_failed": conn.write_failed,
            "sent": sent, "sent_after_goaway": sent - (sent_at_goaway or sent), "end": conn.end}


def open_many(port, attack, count, deadline):
    socks = []
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            break
        s.setblocking(False)
        if attack == "idle_h2":
            s.send(PREFACE + frame(SETTINGS, 0, 0))
        socks.append(s)
    open_set = {s: b"" for s in socks}
    goaways = {}
    closed = 0
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"x-drip: " + b"a" * 4096 + b"\r\n\r\n"
    position = 0
    next_drip = time.monotonic()
    while open_set and time.monotonic() < deadline:
        if attack == "slow_headers" and time.monotonic() >= next_drip and position < len(head):
            for s in list(open_set):
                try:
                    s.send(head[position:position + 1])
                except OSError:
                    pass
            position += 1
            next_drip = time.monotonic() + 0.05
        ready, _, _ = select.select(list(open_set), [], [], 0.05)
        for s in ready:
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if chunk:
                data = open_set[s] + chunk
                open_set[s] = data
                if attack == "idle_h2":
                    # The server's frames: SETTINGS, ACKs, maybe a GOAWAY.
                    while len(data) >= 9:
                        length = int.from_bytes(data[:3], "big")
                        if len(data) < 9 + length:
                            break
                        if data[3] == SETTINGS and not data[4] & 1:
                            try:
                                s.send(frame(SETTINGS, 1, 0))
                            except OSError:
                                pass
                        if data[3] == GOAWAY and length >= 8:
                            code = str(int.from_bytes(data[13:17], "big"))
                            goaways[code] = goaways.get(code, 0) + 1
                        data = data[9 + length:]
                    open_set[s] = data
                continue
            closed += 1
            del open_set[s]
            s.close()
        if attack == "connections":
            break  # only open them: the caller counts what the server refused
    result = {"opened": len(socks), "closed_by_server": closed, "goaways": goaways}
    if attack == "connections":
        # Refused connections are closed by the server at once.
        end = min(deadline, time.monotonic() + 2)
        while time.monotonic() < end:
            ready, _, _ = select.select(list(open_set), [], [], 0.05)
            for s in ready:
                try:
                    chunk = s.recv(1)
                except OSError:
                    chunk = b""
                if not chunk:
                    closed += 1
                    del open_set[s]
            if not ready:
                break
        result["closed_by_server"] = closed
        result["still_open"] = len(open_set)
    for s in open_set:
        s.close()
    return result


def pipeline(port, count, deadline):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    one = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    data = b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n" + one * (count // len(one))
    view = memoryview(data)
    sent = 0
    blocked = False
    stalled_since = None
    while view and time.monotonic() < deadline:
        _, writable, _ = select.select([], [s], [], 0.1)
        if not writable:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 1.0:
                blocked = True  # the server stopped reading: the kernel buffers are full
                break
            continue
        stalled_since = None
        try:
            n = s.send(view[:65536])
        except BlockingIOError:
            continue
        except OSError as e:
            s.close()
            return {"sent": sent, "blocked": False, "error": str(e)}
        sent += n
        view = view[n:]
    s.close()
    return {"sent": sent, "blocked": blocked, "error": ""}


def main():
    attack, port = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 20)
    if attack in ("settings", "ping", "window_update", "empty_data", "priority", "rapid_reset",
                  "held_streams"):
        result = flood(port, attack, count, deadline)
    elif attack == "blind_ping":
        result = blind_ping(port, count, deadline)
    elif attack in ("slow_headers", "silent", "idle_h2", "connections"):
        result = open_many(port, attack, count, deadline)
    elif attack == "pipeline":
        result = pipeline(port, count, deadline)
    else:
        sys.exit("unknown attack " + attack)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
