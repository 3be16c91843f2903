"""Starts faultline-server (or any program honouring its ready-line contract) for a
Python test suite, and talks to its admin API. Standard library only.

    from faultline_launcher import start

    with start(scenario="default") as server:
        server.https, server.ca, server.listeners["main"]
        server.put_scenario({...}); server.stats(); server.release("gate-1")

start() returns a started Server; leaving the with-block (or server.stop()) sends
SIGTERM, then SIGKILL after stop_timeout. A server that exits early, prints something
else or stays silent raises LaunchError with its stderr.

One server for a parallel suite: server.namespace("t1") is a view whose base URLs carry
the namespace (and optionally a scenario), with its own stats, gates and reset; attach()
talks to a server another process started, from its ready line.
"""
import atexit
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["start", "attach", "Server", "Namespace", "AdminError", "LaunchError", "parse_ready_line",
           "default_server_path", "NAMESPACE_HEADER", "SCENARIO_HEADER"]

NAMESPACE_HEADER = "x-faultline-namespace"
SCENARIO_HEADER = "x-faultline-scenario"
# docs/admin-api.md, "Namespaces": the names the server accepts.
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

STDERR_LIMIT = 64 * 1024
_HERE = os.path.dirname(os.path.abspath(__file__))


class LaunchError(RuntimeError):
    """The server did not come up; .stderr holds what it wrote."""

    def __init__(self, message, stderr=""):
        super().__init__(message + ("; its stderr:\n" + stderr if stderr else "; its stderr was empty"))
        self.stderr = stderr


class AdminError(RuntimeError):
    """An admin API answer that is not 2xx: .status, .body, and .path (the JSON path of the
    field at fault, "" when none)."""

    def __init__(self, method, path, status, body):
        error = body.get("error", {}) if isinstance(body, dict) else {}
        super().__init__("%s %s -> %d: %s" % (method, path, status, error.get("message") or json.dumps(body)))
        self.status = status
        self.body = body
        self.path = error.get("path", "")


def default_server_path():
    """FAULTLINE_SERVER, else build/default/fake_server/faultline-server when this module
    runs from a checkout, else faultline-server on PATH (an installed package), else the
    bare name (starting it then fails, naming it)."""
    env = os.environ.get("FAULTLINE_SERVER")
    if env:
        return env
    checkout = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "build", "default", "fake_server",
                                             "faultline-server"))
    if os.path.isfile(checkout):
        return checkout
    return shutil.which("faultline-server") or "faultline-server"


def parse_ready_line(line):
    """Parses and checks the ready line; raises ValueError naming what is wrong."""
    try:
        ready = json.loads(line)
    except ValueError:
        raise ValueError("first stdout line is not JSON: %r" % line[:200])
    if not isinstance(ready, dict) or ready.get("event") != "ready":
        raise ValueError("first stdout line is not a ready event: %r" % line[:200])
    if not isinstance(ready.get("admin"), str):
        raise ValueError('ready line lacks "admin"')
    if not isinstance(ready.get("https"), str) and not isinstance(ready.get("http"), str):
        raise ValueError('ready line has neither "https" nor "http"')
    if not isinstance(ready.get("pid"), int):
        raise ValueError('ready line lacks an integer "pid"')
    return ready


class _Tail:
    """The most recent bytes of a stream, read by a thread (evidence for failures)."""

    def __init__(self, stream):
        self._lock = threading.Lock()
        self._text = ""
        self._dropped = 0
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for chunk in iter(lambda: stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096), b""):
            with self._lock:
                self._text += chunk.decode("utf-8", "replace")
                if len(self._text) > STDERR_LIMIT:
                    self._dropped += len(self._text) - STDERR_LIMIT
                    self._text = self._text[-STDERR_LIMIT:]

    def join(self, timeout):
        self._thread.join(timeout)

    def is_alive(self):
        return self._thread.is_alive()

    def text(self):
        with self._lock:
            prefix = "[... %d earlier bytes dropped ...]\n" % self._dropped if self._dropped else ""
            return prefix + self._text


class Server:
    """A running server. Attributes from the ready line: https, http, admin, ca, pid,
    scenario, listeners, ready (the whole line). Admin methods return the parsed JSON
    body and raise AdminError on a non-2xx answer."""

    def __init__(self, scenario=None, args=(), server_path=None, ready_timeout=20.0, stop_timeout=5.0,
                 admin_timeout=5.0, env=None, admin_token=None):
        self.server_path = server_path or default_server_path()
        self.stop_timeout = stop_timeout
        self.admin_timeout = admin_timeout
        self._stopped = None
        child_env = dict(os.environ, **(env or {}))
        # The token reaches the server through its environment (argv is visible to
        # every user); one already in the environment is the server's too.
        if admin_token is not None:
            child_env["FAULTLINE_ADMIN_TOKEN"] = admin_token
        self.admin_token = child_env.get("FAULTLINE_ADMIN_TOKEN") or None
        cmd = [self.server_path] + (["--scenario", scenario] if scenario else []) + list(args)
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, env=child_env)
        except OSError as e:
            raise LaunchError("cannot start %s: %s" % (self.server_path, e))
        atexit.register(self._kill_at_exit)
        self._stderr = _Tail(self._proc.stderr)
        lines = queue.Queue()
        self._stdout_thread = threading.Thread(target=self._read_stdout, args=(lines,), daemon=True)
        self._stdout_thread.start()
        try:
            first = lines.get(timeout=ready_timeout)
        except queue.Empty:
            self._fail("%s printed no ready line within %g s (killed)" % (self.server_path, ready_timeout))
        if first is None:
            self._proc.wait()
            self._fail("%s exited (%s) before its ready line" % (self.server_path, self._describe_exit()))
        try:
            self._set_ready(parse_ready_line(first))
        except ValueError as e:
            self._fail("%s: %s" % (self.server_path, e))

    @classmethod
    def attach(cls, ready, admin_token=None, admin_timeout=5.0):
        """A Server for one that another process started and owns, from its ready line
        (a dict or the JSON text): admin calls and namespaces work, stop() leaves it
        running."""
        self = cls.__new__(cls)
        self._proc = None
        self._stopped = None
        self.server_path = None
        self.admin_timeout = admin_timeout
        self.admin_token = admin_token or os.environ.get("FAULTLINE_ADMIN_TOKEN") or None
        self._set_ready(parse_ready_line(ready if isinstance(ready, str) else json.dumps(ready)))
        return self

    def _set_ready(self, ready):
        self.ready = r = ready
        self.https, self.http, self.admin = r.get("https"), r.get("http"), r["admin"]
        self.ca, self.pid, self.scenario = r.get("ca"), r["pid"], r.get("scenario")
        self.listeners = r.get("listeners", {})

    @property
    def attached(self):
        """True for a server attach()ed to (another process owns it)."""
        return self._proc is None

    def _read_stdout(self, lines):
        first = True
        for raw in iter(self._proc.stdout.readline, b""):
            if first:
                lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
                first = False
        if first:
            lines.put(None)

    def _describe_exit(self):
        code = self._proc.returncode
        return "signal %d" % -code if code < 0 else "status %d" % code

    def _fail(self, message):
        self._terminate()
        raise LaunchError(message, self._stderr.text())

    def _terminate(self):
        """SIGTERM, SIGKILL after stop_timeout; returns True when SIGKILL was needed."""
        killed = False
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                killed = True
                self._proc.kill()
                self._proc.wait()
        # Drain what the child wrote; a grandchild holding the pipes must not block us.
        self._stderr.join(1.0)
        self._stdout_thread.join(1.0)
        # Close the pipes whose reader is done (closing one under a blocked reader would
        # wait for it); the others end with the process that still holds them.
        for pipe, reader in ((self._proc.stdout, self._stdout_thread), (self._proc.stderr, self._stderr)):
            if not reader.is_alive():
                pipe.close()
        atexit.unregister(self._kill_at_exit)
        return killed

    def _kill_at_exit(self):
        if self._proc.poll() is None:
            self._proc.kill()

    def stderr(self):
        """The captured stderr (its most recent 64 KiB); "" when attached."""
        return "" if self.attached else self._stderr.text()

    def stop(self):
        """Stops the server; returns {"ok", "code", "signal", "killed", "stderr"}. Idempotent.
        An attached server keeps running (its owner stops it)."""
        if self._stopped is None and self.attached:
            self._stopped = {"ok": True, "code": None, "signal": None, "killed": False, "stderr": ""}
        if self._stopped is None:
            killed = self._terminate()
            code = self._proc.returncode
            self._stopped = {"ok": code == 0 and not killed, "code": code if code >= 0 else None,
                             "signal": -code if code < 0 else None, "killed": killed, "stderr": self.stderr()}
        return self._stopped

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # Admin API (see docs/admin-api.md).
    def call(self, method, path, body=None, timeout=None):
        data = None
        headers = {"accept": "application/json"}
        if self.admin_token:
            headers["authorization"] = "Bearer " + self.admin_token
        if body is not None:
            data = (body if isinstance(body, (str, bytes)) else json.dumps(body))
            data = data.encode() if isinstance(data, str) else data
            headers["content-type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b""
        req = urllib.request.Request(self.admin + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.admin_timeout) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            raise RuntimeError("%s %s -> %d: answer is not JSON: %r" % (method, path, status, text[:200]))
        if not 200 <= status < 300:
            raise AdminError(method, path, status, parsed)
        return parsed

    def health(self):
        return self.call("GET", "/v1/health")

    def get_scenario(self):
        return self.call("GET", "/v1/scenario")

    def put_scenario(self, scenario):
        return self.call("PUT", "/v1/scenario", scenario)

    def reset(self):
        return self.call("POST", "/v1/reset")

    def stats(self):
        return self.call("GET", "/v1/stats")

    def connections(self):
        return self.call("GET", "/v1/connections")

    def connection(self, conn_id):
        return self.call("GET", "/v1/connections/%d" % conn_id)

    def timeline(self, conn_id):
        return self.call("GET", "/v1/connections/%d/timeline" % conn_id)

    def request(self, request_id):
        return self.call("GET", "/v1/requests/" + urllib.parse.quote(request_id, safe=""))

    def gates(self):
        return self.call("GET", "/v1/gates")

    def release(self, gate, count=None):
        path = "/v1/gates/%s/release" % urllib.parse.quote(gate, safe="")
        return self.call("POST", path, None if count is None else {"count": count})

    def namespace(self, name, scenario=None):
        """A view of namespace `name` (created by the server on its first request), whose
        requests use `scenario` (a built-in or loaded scenario's name) when given."""
        return Namespace(self, name, scenario)


class Namespace:
    """One namespace of a shared server (docs/admin-api.md, "Namespaces"): its base URLs
    (https, http, listeners) carry the /n/<name>/ prefix (and /s/<scenario>/), headers
    holds the same choice for clients that prefer headers; stats, reset, gates, release,
    request and connections are the namespace's own. Nothing here reaches another
    namespace's counters, gates or connections."""

    def __init__(self, server, name, scenario=None):
        if not _NAME.match(name or ""):
            raise ValueError("namespace %r: 1..64 letters, digits, '.', '_', '-'" % (name,))
        if scenario is not None and not scenario:
            raise ValueError("scenario must be a non-empty name")
        self.server, self.name, self.scenario = server, name, scenario
        self.prefix = "/n/" + name + ("/s/" + urllib.parse.quote(scenario, safe="") if scenario else "")
        self.headers = {NAMESPACE_HEADER: name}
        if scenario:
            self.headers[SCENARIO_HEADER] = scenario
        self.https = server.https + self.prefix if server.https else None
        self.http = server.http + self.prefix if server.http else None
        self.listeners = {k: v + self.prefix for k, v in server.listeners.items()}
        self.ca = server.ca
        self._query = "?namespace=" + name

    def url(self, path, listener=None):
        """The URL of `path` in this namespace (on `listener`, else the https one or http)."""
        base = self.listeners[listener] if listener else (self.https or self.http)
        return base + path

    def stats(self):
        return self.server.call("GET", "/v1/stats" + self._query)

    def reset(self):
        return self.server.call("POST", "/v1/reset" + self._query)

    def connections(self):
        return self.server.call("GET", "/v1/connections" + self._query)

    def request(self, request_id):
        return self.server.call("GET", "/v1/requests/" + urllib.parse.quote(request_id, safe="") + self._query)

    def gates(self):
        return self.server.call("GET", "/v1/gates" + self._query)

    def release(self, gate, count=None):
        path = "/v1/gates/%s/release%s" % (urllib.parse.quote(gate, safe=""), self._query)
        return self.server.call("POST", path, None if count is None else {"count": count})

    def action(self, action):
        """Applies one action (a fault's "do") to this namespace's open connections."""
        return self.server.call("POST", "/v1/actions" + self._query, action)


def attach(ready, **options):
    """A Server for one another process started (its ready line, dict or JSON text)."""
    return Server.attach(ready, **options)


def start(scenario=None, args=(), server_path=None, **options):
    """Starts a server and returns it once its ready line is read (a context manager)."""
    return Server(scenario=scenario, args=args, server_path=server_path, **options)
