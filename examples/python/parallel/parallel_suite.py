"""What each of the two suites of this folder does, in its own namespace of the one shared
faultline-server, while the other runs in another pytest-xdist worker: hold a request at
a gate, meet the other suite there (both hold at once), then check that its counters,
gates, connections and faults are its own."""
import http.client
import ssl
import threading
import time
import urllib.error
import urllib.request

DEADLINE_S = 30.0


def get(view, path, request_id, timeout=20):
    """GET over TLS (HTTP/1.1, urllib); (status, body), or (None, error) when the
    connection fails before a response."""
    context = ssl.create_default_context(cafile=view.ca)
    request = urllib.request.Request(view.url(path), headers={"x-faultline-request-id": request_id})
    try:
        with urllib.request.urlopen(request, context=context, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException) as error:
        return None, error


def wait_for(what, check):
    """Polls check() until it is true, for at most DEADLINE_S; fails with what it last saw."""
    deadline = time.monotonic() + DEADLINE_S
    seen = None
    while time.monotonic() < deadline:
        ok, seen = check()
        if ok:
            return seen
        time.sleep(0.02)
    raise AssertionError("%s: not within %g s (last seen: %r)" % (what, DEADLINE_S, seen))


def held(view, gate):
    return view.gates()["gates"].get(gate, {}).get("held", 0)


def reached(view, gate):
    """Whether a request of `view` is held at `gate` or was released from it (the other
    suite may have met us, finished and released already)."""
    state = view.gates()["gates"].get(gate, {})
    return state.get("held", 0) + state.get("released", 0) >= 1, state


def run(server, me, other):
    mine, theirs = server.namespace(me), server.namespace(other)
    mine.reset()
    # Step 1: a request of mine waits at gate "hold" of my namespace.
    result = {}
    waiter = threading.Thread(target=lambda: result.update(answer=get(mine, "/hold", me + "-held", 60)))
    waiter.start()
    try:
        wait_for(me + " holds at its gate", lambda: (held(mine, "hold") == 1, mine.gates()))
        # Step 2: the other suite holds at its own gate "hold" at the same time.
        wait_for(other + " holds too (the suites run in parallel)", lambda: reached(theirs, "hold"))
        # The default namespace's gate of that name holds nothing.
        assert held(server, "hold") == 0, server.gates()
        # Step 3: the same request id, in a scenario whose fault refuses each id's first
        # attempt: my first attempt is refused whatever the other suite did, because
        # attempts are counted per namespace.
        flaky = server.namespace(me, scenario="refused-first-attempt")
        first = get(flaky, "/flaky", "flaky")
        assert first[0] is None, first
        second = get(flaky, "/flaky", "flaky")
        assert second[0] == 200, second
        # Step 4: my counters are mine only.
        stats = mine.stats()
        assert stats["namespace"] == me
        assert stats["requests"] == {"flaky": 1}, stats["requests"]
        assert stats["faults_fired"] == {"refuse-first": 1}, stats["faults_fired"]
        assert stats["connections"], stats
        assert all(c["namespace"] == me for c in stats["connections"]), stats["connections"]
        assert mine.request(other + "-held")["served"] == 0
    finally:
        # Step 5: releasing my gate releases my request, not the other suite's.
        released = mine.release("hold")
        waiter.join(DEADLINE_S)
    assert released == {"released": 1}, released
    assert result.get("answer", (None,))[0] == 200, result
    assert mine.request(me + "-held")["served"] == 1
    assert held(mine, "hold") == 0
