#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_h2_input: HTTP/2 client frames that follow the
connection preface (the target sends the preface itself), built by hand here so that
each seed is a readable, valid exchange. HPACK without Huffman coding or dynamic table.
Run: fake_server/fuzz/make_h2_corpus.py [OUT_DIR] (default: corpus/h2_input beside it)."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cmake",
                                "fuzz"))
from h2_frames import (write_corpus, ACK, CANCEL, CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY,  # noqa: E402
                       HEADERS, PADDED, PING, PRIORITY, PRIORITY_FLAG, RST_STREAM, SETTINGS,
                       WINDOW_UPDATE, frame, hpack, settings)


def request(method, path, extra=()):
    return hpack([(":method", method), (":scheme", "https"), (":authority", "127.0.0.1"),
                  (":path", path), *extra])


HELLO = settings((0x2, 0), (0x4, 65535)) + frame(SETTINGS, ACK, 0)


def seeds():
    yield "get-health", HELLO + frame(
        HEADERS, END_STREAM | END_HEADERS, 1,
        request("GET", "/health", [("x-faultline-request-id", "r1")]))
    yield "post-echo", HELLO + frame(
        HEADERS, END_HEADERS, 1,
        request("POST", "/echo?q=1", [("content-type", "application/octet-stream"),
                                      ("content-length", "11")])) + frame(
        DATA, 0, 1, b"hello") + frame(DATA, END_STREAM | PADDED, 1, b"\x03 world\x00\x00\x00")
    yield "multiplexed", HELLO + b"".join(
        frame(HEADERS, END_STREAM | END_HEADERS, sid, request("GET", path))
        for sid, path in ((1, "/bytes/1000"), (3, "/sse"), (5, "/trailers"), (7, "/redirect/2"))
    ) + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20)) + frame(PING, 0, 0, b"12345678")
    yield "hold-rst-goaway", HELLO + frame(
        HEADERS, END_STREAM | END_HEADERS, 1,
        request("GET", "/hold", [("x-faultline-request-id", "held")])) + frame(
        RST_STREAM, 0, 1, struct.pack(">I", CANCEL)) + frame(
        HEADERS, END_STREAM | END_HEADERS, 3, request("GET", "/health")) + frame(
        GOAWAY, 0, 0, struct.pack(">II", 0, 0))
    block = request("GET", "/status/418", [("te", "trailers"), ("x-long", "v" * 40)])
    yield "continuation-priority", HELLO + frame(
        HEADERS, END_STREAM | PRIORITY_FLAG, 1,
        struct.pack(">IB", 0, 15) + block[:20]) + frame(
        CONTINUATION, END_HEADERS, 1, block[20:]) + frame(
        PRIORITY, 0, 3, struct.pack(">IB", 1, 200))
    yield "small-window", settings((0x4, 100), (0x5, 16384)) + frame(SETTINGS, ACK, 0) + frame(
        HEADERS, END_STREAM | END_HEADERS, 1, request("GET", "/bytes/5000")) + b"".join(
        frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", 1000)) for sid in (1, 0, 1, 0))


def main():
    write_corpus(seeds(), __file__, "h2_input")


if __name__ == "__main__":
    main()
