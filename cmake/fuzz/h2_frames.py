"""HTTP/2 frames and HPACK blocks written by hand, for the fuzz targets' seed corpora
(fake_server/fuzz/make_h2_corpus.py: a client's frames; transport/fuzz/make_h2_corpus.py:
a server's) and for the scripted h2 client conformance/tests/drivers/raw-h2-driver.py. HPACK without Huffman coding or dynamic table (RFC 7541)."""
import struct

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = (
    0x0, 0x1, 0x2, 0x7, 0x8, 0xb)

# Static table indices (RFC 7541, Appendix A).
INDEXED = {(":method", "GET"): 2, (":method", "POST"): 3, (":path", "/"): 4,
           (":scheme", "http"): 6, (":scheme", "https"): 7, (":status", "200"): 8,
           (":status", "204"): 9, (":status", "304"): 11, (":status", "404"): 13,
           (":status", "500"): 14}
NAME_INDEX = {":authority": 1, ":path": 4, ":status": 8, "content-type": 31,
              "content-length": 28, "location": 46, "te": 0}


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
    raw = text.encode() if isinstance(text, str) else text
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


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def write_corpus(seeds, script, name):
    """Writes each (file name, bytes) of `seeds` into argv[1], or next to `script` in
    corpus/NAME when no folder is given."""
    import os
    import sys
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(script)), "corpus", name)
    os.makedirs(out, exist_ok=True)
    for file_name, data in seeds:
        with open(os.path.join(out, file_name), "wb") as f:
            f.write(data)
