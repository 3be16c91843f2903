#!/bin/sh
# Stub server: a valid ready line, then waits for SIGTERM and exits 0.
# The sleep starts before the trap and the ready line, so a SIGTERM right after the
# ready line always finds it (no orphan holding our pipes).
echo "stub server: starting${FAULTLINE_STUB_NOTE:+ ($FAULTLINE_STUB_NOTE)}" >&2
sleep 1000 &
child=$!
trap 'kill "$child"; echo "stub server: SIGTERM" >&2; exit 0' TERM
printf '{"event":"ready","https":"https://127.0.0.1:1","http":"http://127.0.0.1:2","admin":"http://127.0.0.1:3","ca":"/nonexistent/ca.pem","pid":%s,"scenario":"stub","listeners":{"main":"https://127.0.0.1:1","plain":"http://127.0.0.1:2"}}\n' "$$"
wait "$child"
