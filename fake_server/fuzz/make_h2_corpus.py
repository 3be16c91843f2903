#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_h2_input: HTTP/2 client frames that follow the
connection preface (the target sends the preface itself), built by hand here so that
each seed is a readable, valid exchange. HPACK without Huffman coding or dynamic table.
Run: fake_server/fuzz/make_h2_corpus.py [OUT_DIR] (default: corpus/h2_input beside it)."""
import os
import struct
import sys

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 2, 3, 4, 6, 7, 8, 9)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
CANCEL = 0x8

# Static table indices (RFC 7541, Appendix A).
INDEXED = {(":method", "GET"): 2, (":method", "POST"): 3, (":path", "/"): 4,
           (":scheme", "http"): 6, (":scheme", "https"): 7}
NAME_INDEX = {":authority": 1, ":path": 4, "content-type": 31, "content-length": 28, "te": 0}


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(
        ">I", stream) + payload


def integer(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def string(text):
    raw = text.encode()
    return integer(len(raw), 7) + raw


def hpack(fields):
    """Indexed where the static table has the pair, else literal without indexing."""
    out = b""
    for name, value in fields:
        if (name, value) in INDEXED:
            out += integer(INDEXED[(name, value)], 7, 0x80)
        elif NAME_INDEX.get(name):
            out += integer(NAME_INDEX[name], 4) + string(value)
        else:
            out += b"\x00" + string(name) + string(value)
    return out


def request(method, path, extra=()):
    return hpack([(":method", method), (":scheme", "https"), (":authority", "127.0.0.1"),
                  (":path", path), *extra])


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


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
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "h2_input")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
