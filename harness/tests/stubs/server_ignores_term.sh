#!/bin/sh
# Stub server: a valid ready line, then ignores SIGTERM (must be killed).
trap '' TERM
echo "stub server: ignoring SIGTERM" >&2
printf '{"event":"ready","http":"http://127.0.0.1:2","admin":"http://127.0.0.1:3","pid":%s}\n' "$$"
exec sleep 1000
