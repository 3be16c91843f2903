#!/bin/sh
# Stub server: a valid ready line, then exits 3 on SIGTERM.
sleep 1000 &
child=$!
trap 'kill "$child"; echo "stub server: shutdown went wrong" >&2; exit 3' TERM
printf '{"event":"ready","http":"http://127.0.0.1:2","admin":"http://127.0.0.1:3","pid":%s}\n' "$$"
wait "$child"
