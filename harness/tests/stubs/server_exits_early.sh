#!/bin/sh
# Stub server: fails at start-up the way faultline-server does (one stderr line, exit 2).
echo "faultline-server: error: \$.routes[0].respond.status: must be an integer in 100..599" >&2
exit 2
