#!/usr/bin/env python3
"""Stub server with a tiny admin API (a subset of faultline-server's), for testing the
admin client and the launchers without the real server. Prints the ready line, serves
until SIGTERM, exits 0."""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

state = {"scenario": {"name": "stub"}, "requests_total": 0, "held": {"gate-1": 2}}


class Admin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("stub admin: " + (fmt % args) + "\n")

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        state["requests_total"] += 1
        if self.path == "/v1/health":
            return self.reply(200, {"ok": True})
        if self.path == "/v1/scenario":
            return self.reply(200, state["scenario"])
        if self.path == "/v1/stats":
            return self.reply(200, {"connections_total": 0, "requests_total": state["requests_total"],
                                    "requests": {}, "connections": []})
        if self.path == "/v1/gates":
            return self.reply(200, {"gates": {k: {"held": v, "released": 0} for k, v in state["held"].items()}})
        if self.path.startswith("/v1/requests/"):
            return self.reply(200, {"id": unquote(self.path[len("/v1/requests/"):]), "served": 0})
        if self.path == "/v1/not-json":
            body = b"plain text"
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        return self.reply(404, {"error": {"message": "no such endpoint: " + self.path}})

    def do_PUT(self):
        if self.path != "/v1/scenario":
            return self.reply(404, {"error": {"message": "no such endpoint"}})
        try:
            doc = json.loads(self.body() or b"null")
        except ValueError as e:
            return self.reply(400, {"error": {"message": "invalid JSON: %s" % e, "path": "$"}})
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
            return self.reply(400, {"error": {"message": "must be a string", "path": "$.name"}})
        state["scenario"] = doc
        return self.reply(200, {"ok": True, "scenario": doc["name"]})

    def do_POST(self):
        raw = self.body()
        if self.path == "/v1/reset":
            state["requests_total"] = 0
            return self.reply(200, {"ok": True})
        if self.path.startswith("/v1/gates/") and self.path.endswith("/release"):
            gate = unquote(self.path[len("/v1/gates/"):-len("/release")])
            held = state["held"].get(gate, 0)
            count = json.loads(raw).get("count", held) if raw else held
            released = min(count, held)
            state["held"][gate] = held - released
            return self.reply(200, {"released": released})
        return self.reply(404, {"error": {"message": "no such endpoint"}})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Admin)
    port = server.server_address[1]
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    sys.stderr.write("stub admin server: starting\n")
    print(json.dumps({"event": "ready", "https": "https://127.0.0.1:1", "admin": "http://127.0.0.1:%d" % port,
                      "ca": "/nonexistent/ca.pem", "pid": os.getpid(), "scenario": "stub",
                      "listeners": {"main": "https://127.0.0.1:1"}}), flush=True)
    server.serve_forever()
    sys.stderr.write("stub admin server: stopped\n")


if __name__ == "__main__":
    main()
