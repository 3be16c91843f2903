"""pytest plugin of the faultline-launcher package (entry point pytest11): the
faultline_server fixture, one faultline-server for the whole test session, and the
faultline_namespace fixture, a namespace of it per test.

    def test_health(faultline_server):
        faultline_server.https, faultline_server.ca, faultline_server.stats()

    def test_in_parallel(faultline_namespace):
        faultline_namespace.https  # https://127.0.0.1:PORT/n/<the test's namespace>
        faultline_namespace.stats()  # this test's requests and connections only

Options: --faultline-server PATH (default: faultline_launcher.default_server_path(),
i.e. FAULTLINE_SERVER, a checkout's build, or faultline-server on PATH) and
--faultline-scenario NAME|FILE (default: the server's "default").

Under pytest-xdist (-n N) the controller starts the one server and every worker attaches
to it, so workers share one server; each test keeps to itself through its namespace.
Without xdist, each test of faultline_server starts from a reset server (counters, gates
and timelines cleared through the admin API). With xdist, faultline_server is not reset
(the other workers' tests are running on it): use faultline_namespace there.
"""
import hashlib
import json

import pytest

import faultline_launcher

_READY_KEY = "faultline_ready"


def pytest_addoption(parser):
    group = parser.getgroup("faultline")
    group.addoption("--faultline-server", default=None, help="the faultline-server binary")
    group.addoption("--faultline-scenario", default="default", help="scenario name or file")


def _start(config):
    return faultline_launcher.start(scenario=config.getoption("--faultline-scenario"),
                                    server_path=config.getoption("--faultline-server"))


def _stop(server):
    stopped = server.stop()
    if not stopped["ok"]:
        raise RuntimeError("faultline-server did not stop cleanly: %r" % (stopped,))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, in the controller, for each worker: the one shared server's ready
    line (started for the first worker)."""
    config = node.config
    server = getattr(config, "_faultline_shared", None)
    if server is None:
        server = config._faultline_shared = _start(config)
    node.workerinput[_READY_KEY] = json.dumps(server.ready)


def pytest_unconfigure(config):
    server = getattr(config, "_faultline_shared", None)
    if server is not None:
        config._faultline_shared = None
        _stop(server)


@pytest.fixture(scope="session")
def faultline_session_server(request):
    """The session's server: the controller's under pytest-xdist (attached), else one
    started here and stopped when the session ends."""
    ready = getattr(request.config, "workerinput", {}).get(_READY_KEY)
    if ready is not None:
        yield faultline_launcher.attach(ready)
        return
    server = _start(request.config)
    yield server
    _stop(server)


@pytest.fixture
def faultline_server(faultline_session_server):
    """The session's server, reset before the test unless it is shared with other workers."""
    if not faultline_session_server.attached:
        faultline_session_server.reset()
    return faultline_session_server


@pytest.fixture
def faultline_namespace(request, faultline_session_server):
    """A namespace of the session's server for this test alone (named after the test's
    node id), reset before the test."""
    digest = hashlib.sha256(request.node.nodeid.encode("utf-8")).hexdigest()[:16]
    ns = faultline_session_server.namespace("t-" + digest)
    ns.reset()
    return ns
