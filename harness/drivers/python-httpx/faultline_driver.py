#!/usr/bin/python3
"""Faultline driver over httpx (HTTP/2 through httpcore and h2).

Speaks the driver protocol (docs/driver-protocol.md) as JSON lines on stdin/stdout; logs
go to stderr. One httpx.AsyncClient(http2=True) serves every request; its pool limits
come from the arguments (see --help). Aborts and timeouts cancel the request's asyncio
task, which is how httpx requests are cancelled; the driver never retries or works
around anything itself.

Run it with Debian's /usr/bin/python3, where python3-httpx and python3-h2 live.
"""

import argparse
import asyncio
import base64
import json
import ssl
import sys
import time

PROTOCOL = 1
MAX_REDIRECTS = 20
# httpcore 0.16 opens at most this many streams per HTTP/2 connection: it sizes its
# stream semaphore from the client's own SETTINGS_MAX_CONCURRENT_STREAMS (100), not
# from the server's.
HTTPCORE_STREAM_CAP = 100
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
LINE_LIMIT = 64 * 1024 * 1024
# httpcore 0.16 opens each stream's receive window to 65535 + 2**24 bytes (and the
# connection's by as much) and acknowledges DATA only as the response body iterator
# takes it: the most a paused stream may hold.
HTTPCORE_STREAM_WINDOW = 65535 + 2**24

USAGE_EPILOG = """\
Not configurable in httpx 0.23 / httpcore 0.16: the number of HTTP/2 connections per
origin (one, while it is usable; max-connections bounds the whole pool), the HTTP/2
stream cap (100 per connection, from the client's own settings), and dead-connection
detection (no PING).
keepalive_expiry is applied when the pool is next used, not by a timer, so the driver
declares no idle timer.
"""


def log(message):
    sys.stderr.write(f"faultline-driver-httpx: {message}\n")
    sys.stderr.flush()


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"needs a positive integer, got '{text}'")
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"needs a non-negative integer, got '{text}'")
    return value


class Parser(argparse.ArgumentParser):
    def error(self, message):
        log(f"error: {message} (try --help)")
        sys.exit(2)


def parse_args(argv):
    parser = Parser(
        prog="faultline_driver.py",
        description="Speaks the Faultline driver protocol (JSON lines) on stdin/stdout "
        "over one httpx.AsyncClient(http2=True).",
        epilog=USAGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--max-connections", type=positive, default=4,
                        help="httpx.Limits.max_connections (default 4)")
    parser.add_argument("--max-keepalive", type=non_negative, default=None,
                        help="httpx.Limits.max_keepalive_connections (default: max-connections)")
    parser.add_argument("--keepalive-expiry", type=non_negative, default=5000, metavar="MS",
                        help="httpx.Limits.keepalive_expiry in milliseconds (default 5000)")
    parser.add_argument("--no-h2", dest="h2", action="store_false",
                        help="http2=False: HTTP/1.1 only")
    parser.add_argument("--ca", metavar="FILE", help="PEM file of the CA to trust")
    return parser.parse_args(argv)


try:
    import h2
    import httpcore
    import httpx
except ImportError as err:
    log(f"error: cannot import httpx/httpcore/h2 ({err}); install python3-httpx and "
        f"python3-h2 and run this with /usr/bin/python3 (now {sys.executable})")
    sys.exit(2)


class Output:
    """One writer for protocol lines, with flow control towards the harness."""

    def __init__(self, writer):
        self._writer = writer

    def event(self, obj):
        self._writer.write((json.dumps(obj, separators=(",", ":")) + "\n").encode())

    async def drain(self):
        await self._writer.drain()


class BlockingWriter:
    """The StreamWriter subset Output uses, over a stdout that is not a pipe."""

    def write(self, data):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    async def drain(self):
        pass


def h2_event_of(err):
    """The h2 event an httpcore RemoteProtocolError was raised with, if any."""
    seen = err
    while seen is not None:
        for arg in getattr(seen, "args", ()):
            if isinstance(arg, h2.events.Event):
                return arg
        seen = seen.__cause__
    return None


def classify(err, why):
    """Maps httpx's exceptions onto the protocol's error kinds."""
    if why:
        return why
    if isinstance(err, httpx.TooManyRedirects):
        return "network"
    if isinstance(err, httpx.TimeoutException):
        return "timeout"
    if isinstance(err, httpx.RemoteProtocolError):
        # httpcore raises this both for a peer that broke HTTP (a stream reset, a GOAWAY
        # with an error code) and for one that just went away (the connection closed, a
        # GOAWAY with NO_ERROR): the h2 event it carries tells them apart.
        event = h2_event_of(err)
        if isinstance(event, h2.events.ConnectionTerminated) and event.error_code == 0:
            return "network"
        if event is None and str(err).startswith("Server disconnected"):
            return "network"
        return "protocol"
    if isinstance(err, (httpx.LocalProtocolError, httpx.DecodingError, h2.exceptions.ProtocolError)):
        return "protocol"
    if isinstance(err, (httpx.NetworkError, ssl.SSLError, ConnectionError, OSError)):
        return "network"
    return "other"


def describe(err):
    name = type(err).__name__
    text = str(err) or repr(err)
    cause = err.__cause__ or err.__context__
    if cause is not None and not isinstance(cause, asyncio.CancelledError):
        text += f" (cause: {type(cause).__name__}: {cause})"
    return f"{name}: {text}"


async def one_shot(body):
    """body_stream: the body as an async generator, which httpx sends as it is read and
    cannot replay."""
    yield body


class Driver:
    def __init__(self, options, out):
        self.options = options
        self.out = out
        self.counters = {"requests_started": 0, "requests_completed": 0, "requests_failed": 0,
                         "requests_aborted": 0, "connections_opened": 0, "connect_errors": 0}
        self.in_flight = {}  # id -> {"task", "why", "timer", "start"}
        try:
            context = ssl.create_default_context(cafile=options.ca)
        except (OSError, ssl.SSLError) as err:
            log(f"error: cannot read --ca {options.ca}: {err}")
            sys.exit(2)
        keepalive = options.max_keepalive if options.max_keepalive is not None else options.max_connections
        self.limits = httpx.Limits(max_connections=options.max_connections,
                                   max_keepalive_connections=keepalive,
                                   keepalive_expiry=options.keepalive_expiry / 1000)
        self.client = httpx.AsyncClient(http2=options.h2, verify=context, limits=self.limits,
                                        timeout=None, max_redirects=MAX_REDIRECTS, trust_env=False)
        self.shutting_down = False

    def hello(self):
        self.out.event({
            "event": "hello", "protocol": PROTOCOL, "name": "httpx", "version": httpx.__version__,
            "stack": {"httpcore": httpcore.__version__, "h2": h2.__version__,
                      "python": sys.version.split()[0]},
            # Over h2 httpcore keeps one connection per origin and opens another only
            # when that one is unusable (closed, GOAWAY, stream ids used up);
            # max_connections bounds the pool as a whole, across origins.
            "max_sessions": 1 if self.options.h2 else self.options.max_connections,
            "max_streams": HTTPCORE_STREAM_CAP if self.options.h2 else 1,
            "h2": self.options.h2, "api": "AsyncClient.stream",
            # pause/resume stop and restart iterating the streamed response: httpcore
            # credits the window only for the DATA the iterator took.
            "capabilities": {"idle_timeout_ms": 0, "liveness_timeout_ms": 0, "retries_421": False,
                             "receive_backpressure": True, "stream_window": HTTPCORE_STREAM_WINDOW},
        })

    async def trace(self, name, info):
        # httpcore's own trace hook: every TCP connection it opens passes here.
        if name == "connection.connect_tcp.complete":
            self.counters["connections_opened"] += 1
        elif name == "connection.connect_tcp.failed":
            self.counters["connect_errors"] += 1

    def start(self, msg):
        self.counters["requests_started"] += 1
        # "resumed": set unless the request is paused.
        state = {"why": None, "timer": None, "start": time.monotonic(), "resumed": asyncio.Event()}
        state["resumed"].set()
        self.in_flight[msg["id"]] = state
        state["task"] = asyncio.ensure_future(self.run(msg, state))
        timeout = msg.get("timeout_ms") or 0
        if timeout > 0:
            state["timer"] = asyncio.get_running_loop().call_later(timeout / 1000, self.cancel, msg["id"], "timeout")

    def cancel(self, request_id, why):
        state = self.in_flight.get(request_id)
        if state is None or state["why"]:
            return
        state["why"] = why
        state["task"].cancel()

    def pause(self, request_id, paused):
        """pause/resume: the body loop waits for "resumed" before it takes the next chunk."""
        state = self.in_flight.get(request_id)
        if state is not None:
            (state["resumed"].clear if paused else state["resumed"].set)()

    def elapsed(self, state):
        return round((time.monotonic() - state["start"]) * 1000, 3)

    def settle(self, request_id, state, counter):
        if state["timer"]:
            state["timer"].cancel()
        self.in_flight.pop(request_id, None)
        self.counters[counter] += 1

    async def run(self, msg, state):
        request_id = msg["id"]
        try:
            await self.exchange(msg, state)
        except asyncio.CancelledError:
            # Cancelled by abort or timeout_ms; httpx has released the request by now.
            why = state["why"] or "aborted"
            self.settle(request_id, state, "requests_aborted" if why == "aborted" else "requests_failed")
            message = "aborted by the caller" if why == "aborted" else "timeout_ms passed"
            self.out.event({"id": request_id, "event": "error", "kind": why, "message": message,
                            "t_ms": self.elapsed(state)})
            return
        except Exception as err:  # noqa: BLE001 - every failure becomes an error event
            kind = classify(err, state["why"])
            self.settle(request_id, state, "requests_aborted" if kind == "aborted" else "requests_failed")
            self.out.event({"id": request_id, "event": "error", "kind": kind, "message": describe(err),
                            "t_ms": self.elapsed(state)})
            return
        self.settle(request_id, state, "requests_completed")
        self.out.event({"id": request_id, "event": "end", "t_ms": self.elapsed(state)})

    async def exchange(self, msg, state):
        headers = []
        for name, value in (msg.get("headers") or {}).items():
            for item in (value if isinstance(value, list) else [value]):
                headers.append((name, item))
        body = base64.b64decode(msg["body_b64"], validate=True) if "body_b64" in msg else None
        if body is not None and msg.get("body_stream"):
            body = one_shot(body)
        mode = msg.get("redirect") or "follow"
        request = self.client.build_request(msg.get("method") or "GET", msg["url"], headers=headers,
                                            content=body, extensions={"trace": self.trace})
        response = await self.client.send(request, stream=True, follow_redirects=(mode == "follow"))
        try:
            location = response.headers.get("location")
            if mode == "error" and response.status_code in REDIRECT_STATUSES and location:
                raise httpx.TooManyRedirects(
                    f"redirect {response.status_code} to '{location}' refused (redirect mode error)",
                    request=request)
            out_headers = {}
            for name, value in response.headers.multi_items():
                name = name.lower()
                if name in out_headers:
                    previous = out_headers[name]
                    out_headers[name] = (previous if isinstance(previous, list) else [previous]) + [value]
                else:
                    out_headers[name] = value
            event = {"id": msg["id"], "event": "headers", "status": response.status_code,
                     "headers": out_headers, "t_ms": self.elapsed(state)}
            if response.http_version == "HTTP/2":
                event["protocol"] = "h2"
            elif response.http_version == "HTTP/1.1":
                event["protocol"] = "http/1.1"
            self.out.event(event)
            async for chunk in response.aiter_raw():
                if chunk:
                    self.out.event({"id": msg["id"], "event": "data", "b64": base64.b64encode(chunk).decode(),
                                    "t_ms": self.elapsed(state)})
                    await self.out.drain()
                await state["resumed"].wait()  # paused: the next chunk stays with httpcore
        finally:
            await response.aclose()

    def stats(self):
        pool = self.client._transport._pool  # httpcore's AsyncConnectionPool: its own view
        connections = [c.info() for c in pool.connections]
        self.out.event({"event": "stats", **self.counters, "in_flight": len(self.in_flight),
                        "pool_connections": len(connections), "pool": connections})

    async def shutdown(self):
        self.shutting_down = True
        for request_id in list(self.in_flight):
            self.cancel(request_id, "aborted")
        tasks = [s["task"] for s in self.in_flight.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=1)
        try:
            await asyncio.wait_for(self.client.aclose(), timeout=1)
        except Exception as err:  # noqa: BLE001 - closing is best effort at exit
            log(f"closing the client: {describe(err)}")
        await self.out.drain()

    def on_line(self, line):
        """Handles one operation; returns False on shutdown."""
        try:
            msg = json.loads(line)
        except ValueError:
            log(f"ignoring a line that is not JSON: {line[:200]!r}")
            return True
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == "hello":
            self.hello()
        elif op == "request":
            request_id = msg.get("id")
            if not isinstance(request_id, int) or request_id < 1 or not isinstance(msg.get("url"), str):
                log(f"ignoring a malformed request: {line[:200]!r}")
            elif self.shutting_down:
                self.out.event({"id": request_id, "event": "error", "kind": "other",
                                "message": "driver is shutting down"})
            else:
                self.start(msg)
        elif op == "abort":
            self.cancel(msg.get("id"), "aborted")
        elif op in ("pause", "resume"):
            self.pause(msg.get("id"), op == "pause")
        elif op == "stats":
            self.stats()
        elif op == "shutdown":
            return False
        else:
            log(f"ignoring unknown op {op!r}")
        return True


async def main(options):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sys.stdout)
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
    except ValueError:
        writer = BlockingWriter()  # stdout is a regular file: no flow control to wait for
    driver = Driver(options, Output(writer))
    while True:
        line = await reader.readline()
        if not line:
            break  # EOF means shutdown
        line = line.strip()
        if line and not driver.on_line(line.decode("utf-8", "replace")):
            break
    await driver.shutdown()


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    try:
        asyncio.run(main(arguments))
    except KeyboardInterrupt:
        pass
    sys.exit(0)
