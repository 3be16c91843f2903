"""README example (Python, pytest): the faultline_server fixture from the
faultline-launcher package starts faultline-server; requests go over TLS with its CA.
Run by ctest (install.launcher_python_package) from a venv the package is installed in."""
import ssl
import urllib.error
import urllib.request


def get(server, path, request_id):
    context = ssl.create_default_context(cafile=server.ca)
    request = urllib.request.Request(server.https + path, headers={"x-faultline-request-id": request_id})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_health_is_served_once(faultline_server):
    assert get(faultline_server, "/health", "py-health") == (200, b"ok")
    assert faultline_server.request("py-health")["served"] == 1


def test_error_bodies_arrive_intact(faultline_server):
    status, body = get(faultline_server, "/status/503", "py-503")
    assert status == 503
    assert b"service unavailable" in body
