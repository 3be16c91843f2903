#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_h2_protocol: a plan of four bytes (requests, bodies,
pulled bodies, cancels and PINGs: fuzz_h2_protocol.cpp, Plan) and then what a server
sends after its connection preface, built by hand so that each seed is a readable
exchange with the client's streams 1, 3, 5, ... in the order the plan submits them.
Run: transport/fuzz/make_h2_corpus.py [OUT_DIR] (default: corpus/h2_protocol beside it)."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cmake",
                                "fuzz"))
from h2_frames import (write_corpus, ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY,  # noqa: E402
                       HEADERS, NO_ERROR, PADDED, PING, PROTOCOL_ERROR, PUSH_PROMISE,
                       REFUSED_STREAM, RST_STREAM, SETTINGS, WINDOW_UPDATE, CANCEL,
                       ENHANCE_YOUR_CALM, frame, hpack, settings)

MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE = 0x3, 0x4, 0x5


def plan(requests, bodies=0, pulled=0, cancel=0, ping=False, close=False, after_settings=False):
    return bytes([requests | (0x80 if after_settings else 0), bodies, pulled,
                  cancel | (0x40 if ping else 0) | (0x80 if close else 0)])


HELLO = settings((MAX_CONCURRENT_STREAMS, 100)) + frame(SETTINGS, ACK, 0)


def head(stream, status, extra=(), end=False):
    return frame(HEADERS, END_HEADERS | (END_STREAM if end else 0), stream,
                 hpack([(":status", str(status)), *extra]))


def body(stream, data, end=True):
    return frame(DATA, END_STREAM if end else 0, stream, data)


def seeds():
    yield "get-200", plan(1) + HELLO + head(1, 200, [("content-type", "text/plain")]) + body(
        1, b"hello")
    yield "multiplexed-out-of-order", plan(4, bodies=0b0010) + HELLO + head(
        3, 200, [("content-length", "3")]) + body(3, b"abc") + head(1, 103, [("link", "</a>")]) + head(
        1, 204, end=True) + head(5, 200) + body(5, b"part", end=False) + frame(
        HEADERS, END_HEADERS | END_STREAM, 5, hpack([("grpc-status", "0")])) + frame(
        RST_STREAM, 0, 7, struct.pack(">I", REFUSED_STREAM))
    yield "goaway-above-last", plan(3) + HELLO + head(1, 200) + body(1, b"one") + frame(
        GOAWAY, 0, 0, struct.pack(">II", 1, NO_ERROR) + b"bye") + head(3, 200, end=True)
    yield "late-data", plan(2, cancel=0b10) + HELLO + head(1, 200) + body(1, b"done") + body(
        1, b"late after END_STREAM") + head(3, 200) + body(3, b"after our RST", end=False) + frame(
        HEADERS, END_HEADERS | END_STREAM, 3, hpack([("x-trailer", "late")]))
    yield "settings-ping-window", plan(2, bodies=0b11, pulled=0b01, ping=True) + settings(
        (MAX_CONCURRENT_STREAMS, 1), (INITIAL_WINDOW_SIZE, 100), (MAX_FRAME_SIZE, 16384)) + frame(
        SETTINGS, ACK, 0) + frame(PING, 0, 0, b"12345678") + frame(
        WINDOW_UPDATE, 0, 1, struct.pack(">I", 5000)) + frame(
        WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20)) + settings(
        (MAX_CONCURRENT_STREAMS, 10), (INITIAL_WINDOW_SIZE, 65535)) + head(1, 201, end=True) + frame(
        PING, ACK, 0, b"\0" * 8)
    block = hpack([(":status", "200"), ("content-type", "application/octet-stream"),
                   ("x-long", "v" * 60)])
    yield "continuation-padded", plan(1) + HELLO + frame(HEADERS, 0, 1, block[:10]) + frame(
        CONTINUATION, 0, 1, block[10:30]) + frame(CONTINUATION, END_HEADERS, 1, block[30:]) + frame(
        DATA, PADDED | END_STREAM, 1, b"\x04data\0\0\0\0")
    yield "redirect-and-errors", plan(3) + HELLO + head(
        1, 307, [("location", "/elsewhere")], end=True) + head(3, 500) + body(
        3, b"server error") + head(5, 404, end=True)
    yield "push-promise", plan(1) + HELLO + frame(
        PUSH_PROMISE, END_HEADERS, 1,
        struct.pack(">I", 2) + hpack([(":method", "GET"), (":path", "/")]))
    yield "rst-and-calm", plan(3, cancel=0b100) + HELLO + frame(
        RST_STREAM, 0, 1, struct.pack(">I", PROTOCOL_ERROR)) + frame(
        RST_STREAM, 0, 3, struct.pack(">I", CANCEL)) + frame(
        GOAWAY, 0, 0, struct.pack(">II", 0, ENHANCE_YOUR_CALM))
    yield "close-at-end", plan(2, close=True) + HELLO + head(1, 200) + body(
        1, b"x" * 100, end=False)
    yield "submit-after-settings", plan(2, after_settings=True) + HELLO + frame(
        PING, 0, 0, b"abcdefgh") * 8 + head(1, 200, end=True) + head(3, 304, end=True)


def main():
    write_corpus(seeds(), __file__, "h2_protocol")


if __name__ == "__main__":
    main()
