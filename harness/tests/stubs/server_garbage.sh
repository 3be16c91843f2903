#!/bin/sh
# Stub server: prints something that is not a ready line, then stays up.
sleep 1000 &
child=$!
trap 'kill "$child"; exit 0' TERM
echo "stub server: about to print garbage" >&2
echo "Listening on port 8443"
wait "$child"
