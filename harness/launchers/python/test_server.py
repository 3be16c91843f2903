"""The launcher against the real faultline-server (FAULTLINE_SERVER names the binary)."""
import os
import ssl
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultline_launcher as fl  # noqa: E402

SERVER = os.environ.get("FAULTLINE_SERVER", "")


class RealServerTest(unittest.TestCase):
    def test_binary_is_named(self):
        self.assertTrue(os.path.isfile(SERVER), "FAULTLINE_SERVER=%r is not a file" % SERVER)

    def test_serves_the_default_scenario_over_tls(self):
        with fl.start(scenario="default", server_path=SERVER) as server:
            self.assertRegex(server.https, r"^https://127\.0\.0\.1:\d+$")
            self.assertTrue(os.path.isfile(server.ca), server.ca)
            self.assertEqual(server.listeners["main"], server.https)
            self.assertEqual(server.health(), {"ok": True})
            context = ssl.create_default_context(cafile=server.ca)
            with urllib.request.urlopen(server.https + "/health", context=context, timeout=10) as resp:
                self.assertEqual(resp.status, 200)
            self.assertGreaterEqual(server.stats()["connections_total"], 1)
            self.assertEqual(server.reset(), {"ok": True})
            self.assertIn("gates", server.gates())
            with self.assertRaises(fl.AdminError) as caught:
                server.put_scenario({"name": "x", "routes": "not a list"})
            self.assertEqual(caught.exception.status, 400)
            self.assertTrue(caught.exception.path.startswith("$"), caught.exception.path)
        self.assertTrue(server.stop()["ok"], server.stop())

    def test_passes_the_admin_token_to_the_server_and_sends_it(self):
        with fl.start(scenario="default", server_path=SERVER, admin_token="tok-123") as server:
            self.assertEqual(server.health(), {"ok": True})
            # Without the token the same call is refused: the server did get it.
            request = urllib.request.Request(server.admin + "/v1/health")
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=10)
            self.assertEqual(caught.exception.code, 401)
        self.assertTrue(server.stop()["ok"], server.stop())

    def test_namespace_views_keep_to_themselves(self):
        with fl.start(scenario="default", server_path=SERVER) as server:
            ns = server.namespace("t1", scenario="tiny")
            self.assertEqual(ns.https, server.https + "/n/t1/s/tiny")
            self.assertEqual(ns.listeners["plain"], server.http + "/n/t1/s/tiny")
            self.assertEqual(ns.headers, {fl.NAMESPACE_HEADER: "t1", fl.SCENARIO_HEADER: "tiny"})
            context = ssl.create_default_context(cafile=server.ca)
            request = urllib.request.Request(ns.url("/tiny"), headers={"x-faultline-request-id": "x"})
            with urllib.request.urlopen(request, context=context, timeout=10) as resp:
                self.assertEqual(resp.read(), b"ok")  # tiny's route: the default scenario has none
            self.assertEqual(ns.request("x"), {"id": "x", "namespace": "t1", "served": 1})
            self.assertEqual(server.request("x")["served"], 0)
            self.assertEqual(server.namespace("t2").request("x")["served"], 0)
            stats = ns.stats()
            self.assertEqual((stats["namespace"], stats["requests"]), ("t1", {"x": 1}))
            self.assertEqual([c["namespace"] for c in ns.connections()["connections"]], ["t1"])
            self.assertEqual(ns.release("hold"), {"released": 0})
            self.assertEqual(ns.reset(), {"ok": True, "namespace": "t1"})
            self.assertEqual(ns.stats()["requests"], {})
            # Another process's view of the same server, from its ready line.
            other = fl.attach(server.ready)
            self.assertTrue(other.attached)
            self.assertEqual(other.health(), {"ok": True})
            self.assertTrue(other.stop()["ok"])
            self.assertEqual(server.health(), {"ok": True})  # still running
            with self.assertRaises(ValueError):
                server.namespace("a/b")
        self.assertTrue(server.stop()["ok"], server.stop())

    def test_unknown_scenario_fails_with_the_error_line(self):
        with self.assertRaises(fl.LaunchError) as caught:
            fl.start(scenario="no-such-scenario", server_path=SERVER)
        self.assertIn("faultline-server: error:", caught.exception.stderr)


if __name__ == "__main__":
    unittest.main()
