"""The launcher against the harness's stub servers (harness/tests/stubs)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultline_launcher as fl  # noqa: E402

STUBS = os.environ.get("FAULTLINE_STUBS_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "stubs")


def stub(name):
    return os.path.join(STUBS, name)


class ReadyLineTest(unittest.TestCase):
    def test_parses_and_rejects(self):
        ready = fl.parse_ready_line('{"event":"ready","http":"http://127.0.0.1:1","admin":"http://a","pid":3}')
        self.assertEqual(ready["pid"], 3)
        with self.assertRaisesRegex(ValueError, "not JSON"):
            fl.parse_ready_line("Listening")
        with self.assertRaisesRegex(ValueError, "not a ready event"):
            fl.parse_ready_line('{"event":"started"}')
        with self.assertRaisesRegex(ValueError, "pid"):
            fl.parse_ready_line('{"event":"ready","http":"x","admin":"y","pid":"1"}')


class StubServerTest(unittest.TestCase):
    def test_admin_api_and_clean_stop(self):
        with fl.start(server_path=stub("stub_admin_server.py")) as server:
            self.assertEqual(server.https, "https://127.0.0.1:1")
            self.assertEqual(server.listeners["main"], "https://127.0.0.1:1")
            self.assertEqual(server.health(), {"ok": True})
            self.assertEqual(server.put_scenario({"name": "next"})["scenario"], "next")
            self.assertEqual(server.get_scenario()["name"], "next")
            with self.assertRaises(fl.AdminError) as caught:
                server.put_scenario({"name": 5})
            self.assertEqual(caught.exception.status, 400)
            self.assertEqual(caught.exception.path, "$.name")
            self.assertEqual(server.release("gate-1", 1)["released"], 1)
            self.assertEqual(server.release("gate-1")["released"], 1)
            self.assertEqual(server.request("a b/c")["id"], "a b/c")
            self.assertEqual(server.reset(), {"ok": True})
            self.assertIn("requests_total", server.stats())
        stopped = server.stop()
        self.assertTrue(stopped["ok"], stopped)
        self.assertIn("stub admin server: stopped", stopped["stderr"])

    def test_early_exit_raises_with_stderr(self):
        with self.assertRaises(fl.LaunchError) as caught:
            fl.start(server_path=stub("server_exits_early.sh"))
        self.assertIn("status 2", str(caught.exception))
        self.assertIn("$.routes[0].respond.status", caught.exception.stderr)

    def test_garbage_raises_quoting_it(self):
        with self.assertRaisesRegex(fl.LaunchError, "Listening on port 8443(.|\n)*about to print garbage"):
            fl.start(server_path=stub("server_garbage.sh"))

    def test_silence_hits_the_deadline(self):
        began = time.monotonic()
        with self.assertRaisesRegex(fl.LaunchError, "no ready line within 0.3 s"):
            fl.start(server_path=stub("server_silent.sh"), ready_timeout=0.3)
        self.assertLess(time.monotonic() - began, 10)

    def test_missing_binary_raises(self):
        with self.assertRaisesRegex(fl.LaunchError, "cannot start"):
            fl.start(server_path=stub("does-not-exist"))

    def test_sigterm_ignored_means_killed(self):
        server = fl.start(server_path=stub("server_ignores_term.sh"), stop_timeout=0.3)
        stopped = server.stop()
        self.assertFalse(stopped["ok"])
        self.assertTrue(stopped["killed"])
        self.assertEqual(stopped["signal"], 9)


if __name__ == "__main__":
    unittest.main()
