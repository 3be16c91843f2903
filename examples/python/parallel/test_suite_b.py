"""Suite B of the parallel example: runs beside test_suite_a.py (pytest -n 2) on one
shared faultline-server."""
from parallel_suite import get, run


def test_b_keeps_to_its_namespace(faultline_server):
    run(faultline_server, "suite-b", "suite-a")


def test_b_health_in_its_own_namespace(faultline_namespace):
    assert get(faultline_namespace, "/health", "health") == (200, b"ok")
    assert faultline_namespace.request("health")["served"] == 1
