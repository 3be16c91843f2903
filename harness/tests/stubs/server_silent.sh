#!/bin/sh
# Stub server: never prints a ready line.
sleep 1000 &
child=$!
trap 'kill "$child"; exit 0' TERM
echo "stub server: thinking forever" >&2
wait "$child"
