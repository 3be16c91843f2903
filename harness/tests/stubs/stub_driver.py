#!/usr/bin/env python3
"""Stub external driver for the harness's tests. `stub_driver.py MODE`:
echo (well-behaved), bad-json, unknown-id, missing-fields, unknown-event, bad-order,
late-informational (a 1xx head after the final head),
crash, crash-at-start, silent, wrong-protocol, no-stats. Every mode writes a marker line
to stderr so tests can check that the driver's stderr reaches the error message.

In mode echo: a request answers 200 with x-echo-method/x-echo-url and the request's
headers as x-req-<name>, and the request body in 3-byte data events; a URL containing
/hang sends headers and then nothing until aborted or timeout_ms passes; /fail fails
with kind network."""
import base64
import json
import sys
import threading
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "echo"
lock = threading.Lock()
hanging = {}  # id -> timer
requests = 0


def out(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def err(text):
    sys.stderr.write("stub stderr: mode=%s %s\n" % (MODE, text))
    sys.stderr.flush()


def hello():
    protocol = 2 if MODE == "wrong-protocol" else 1
    out({"event": "hello", "protocol": protocol, "name": "stub", "version": "0.1", "max_sessions": 4,
         "max_streams": 100, "h2": True})


def finish_hanging(rid, kind, message):
    with lock:
        timer = hanging.pop(rid, None)
    if timer is None:
        return
    timer.cancel()
    out({"id": rid, "event": "error", "kind": kind, "message": message})


def on_request(msg):
    global requests
    requests += 1
    rid = msg["id"]
    if MODE == "bad-json":
        err("about to write garbage")
        with lock:
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
        return
    if MODE == "unknown-id":
        out({"id": rid + 1000, "event": "headers", "status": 200, "headers": {}})
        return
    if MODE == "missing-fields":
        out({"id": rid, "event": "headers", "headers": {}})
        return
    if MODE == "unknown-event":
        out({"id": rid, "event": "bogus"})
        return
    if MODE == "bad-order":
        out({"id": rid, "event": "data", "b64": "AAAA"})
        return
    if MODE == "late-informational":
        out({"id": rid, "event": "headers", "status": 200, "headers": {}})
        out({"id": rid, "event": "informational", "status": 103, "headers": {}})
        return
    if MODE == "crash":
        err("fatal: boom")
        sys.exit(3)
    url = msg["url"]
    if "/fail" in url:
        out({"id": rid, "event": "error", "kind": "network", "message": "connection refused (stub)"})
        return
    headers = {"x-echo-method": msg["method"], "x-echo-url": url}
    for name, value in msg.get("headers", {}).items():
        headers["x-req-" + name] = value
    out({"id": rid, "event": "headers", "status": 200, "headers": headers, "t_ms": 0.5, "protocol": "h2"})
    if "/hang" in url:
        timeout = msg.get("timeout_ms", 0)
        timer = threading.Timer(timeout / 1000.0 if timeout else 3600,
                                finish_hanging, (rid, "timeout", "timeout_ms passed"))
        with lock:
            hanging[rid] = timer
        timer.start()
        return
    body = base64.b64decode(msg.get("body_b64", ""))
    for i in range(0, len(body), 3):
        out({"id": rid, "event": "data", "b64": base64.b64encode(body[i:i + 3]).decode(), "t_ms": 1})
    out({"id": rid, "event": "end", "t_ms": 2})


def main():
    err("starting")
    if MODE == "crash-at-start":
        err("cannot load the HTTP library")
        sys.exit(1)
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg.get("op")
        if op == "hello":
            if MODE != "silent":
                hello()
        elif op == "request":
            on_request(msg)
        elif op == "abort":
            finish_hanging(msg["id"], "aborted", "aborted by the caller")
        elif op == "stats":
            if MODE != "no-stats":
                out({"event": "stats", "requests": requests})
        elif op == "shutdown":
            break
    for rid in list(hanging):
        finish_hanging(rid, "aborted", "driver shutting down")
    err("bye")


if __name__ == "__main__":
    main()
