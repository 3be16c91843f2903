"""pytest plugin of the faultline-launcher package (entry point pytest11): the
faultline_server fixture, one faultline-server for the whole test session.

    def test_health(faultline_server):
        faultline_server.https, faultline_server.ca, faultline_server.stats()

Options: --faultline-server PATH (default: faultline_launcher.default_server_path(),
i.e. FAULTLINE_SERVER, a checkout's build, or faultline-server on PATH) and
--faultline-scenario NAME|FILE (default: the server's "default"). Each test starts from a
reset server (counters, gates and timelines cleared through the admin API).
"""
import pytest

import faultline_launcher


def pytest_addoption(parser):
    group = parser.getgroup("faultline")
    group.addoption("--faultline-server", default=None, help="the faultline-server binary")
    group.addoption("--faultline-scenario", default="default", help="scenario name or file")


@pytest.fixture(scope="session")
def faultline_session_server(request):
    """The session's server, started once; stopped when the session ends."""
    server = faultline_launcher.start(scenario=request.config.getoption("--faultline-scenario"),
                                      server_path=request.config.getoption("--faultline-server"))
    yield server
    stopped = server.stop()
    if not stopped["ok"]:
        raise RuntimeError("faultline-server did not stop cleanly: %r" % (stopped,))


@pytest.fixture
def faultline_server(faultline_session_server):
    """The session's server, reset before the test."""
    faultline_session_server.reset()
    return faultline_session_server
