#!/usr/bin/env python3
"""Holds N idle HTTP/2 connections open to a server on 127.0.0.1.

usage: idle_conns.py --port PORT [--connections N] [--parallel P] [--deadline S]

Each connection: TLS with ALPN h2 (the certificate is not verified: a loopback
benchmark), the client preface and an empty SETTINGS frame, then the server's SETTINGS
is read and acknowledged; after that the connection stays silent (frames the server
sends are read and dropped, so that its writes never block). At most P handshakes run
at a time. Prints "open N" once all N are open (or "failed K of N: REASON" and exits 1),
then waits for EOF on stdin or the deadline, prints "still open M" and exits (0 when
M == N, 1 otherwise). Every step is bounded by the deadline.
"""
import argparse
import asyncio
import ssl
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # empty SETTINGS, stream 0
SETTINGS_ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
FRAME_SETTINGS = 4
FLAG_ACK = 1


class Conn:
    def __init__(self):
        self.reader = None
        self.writer = None
        self.closed = False


async def read_until_settings(reader):
    """Reads frames until the server's first non-ACK SETTINGS frame."""
    for _ in range(64):  # bounded: a server sends a handful of frames before its SETTINGS
        head = await reader.readexactly(9)
        length = int.from_bytes(head[0:3], "big")
        await reader.readexactly(length)
        if head[3] == FRAME_SETTINGS and not head[4] & FLAG_ACK:
            return
    raise ConnectionError("no SETTINGS in the first 64 frames")


async def drain(conn):
    """Reads and drops whatever the server sends; marks the connection closed at EOF."""
    try:
        while await conn.reader.read(65536):
            pass
    except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    conn.closed = True


async def open_one(port, ctx, sem, timeout):
    async with sem:
        conn = Conn()
        conn.reader, conn.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost",
                                    limit=65536),
            timeout)
        alpn = conn.writer.get_extra_info("ssl_object").selected_alpn_protocol()
        if alpn != "h2":
            conn.writer.close()
            raise ConnectionError(f"ALPN {alpn!r}, not h2")
        conn.writer.write(PREFACE + SETTINGS)
        await conn.writer.drain()
        await asyncio.wait_for(read_until_settings(conn.reader), timeout)
        conn.writer.write(SETTINGS_ACK)
        await conn.writer.drain()
        return conn


async def stdin_eof():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def main_async(a):
    end = time.monotonic() + a.deadline
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    sem = asyncio.Semaphore(a.parallel)
    tasks = [asyncio.ensure_future(open_one(a.port, ctx, sem, 30)) for _ in range(a.connections)]
    done, pending = await asyncio.wait(tasks, timeout=max(1.0, end - time.monotonic()))
    for t in pending:
        t.cancel()
    conns, errors = [], []
    for t in done:
        if t.exception() is not None:
            errors.append(t.exception())
        else:
            conns.append(t.result())
    if pending or errors:
        reason = repr(errors[0]) if errors else "deadline"
        print(f"failed {len(pending) + len(errors)} of {a.connections}: {reason}", flush=True)
        for c in conns:
            c.writer.close()
        return 1
    drains = [asyncio.ensure_future(drain(c)) for c in conns]
    print(f"open {len(conns)}", flush=True)
    try:
        await asyncio.wait_for(stdin_eof(), max(1.0, end - time.monotonic()))
    except asyncio.TimeoutError:
        pass
    still = sum(1 for c in conns if not c.closed)
    print(f"still open {still}", flush=True)
    for c in conns:
        c.writer.close()
    for d in drains:
        d.cancel()
    return 0 if still == a.connections else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--parallel", type=int, default=100, help="handshakes at a time")
    p.add_argument("--deadline", type=float, default=600, help="seconds, for the whole run")
    a = p.parse_args()
    if a.connections < 1 or a.parallel < 1 or a.deadline <= 0:
        p.error("--connections, --parallel and --deadline must be positive")
    return asyncio.run(main_async(a))


if __name__ == "__main__":
    sys.exit(main())
