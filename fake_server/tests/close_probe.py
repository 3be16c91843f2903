#!/usr/bin/env python3
"""How the server ended a connection, seen from the client: for the fault tests.

    python3 close_probe.py PORT CONFIG_JSON
    CONFIG: {"tls": true, "ca": "/path/ca.pem",   TLS (else cleartext TCP), trusting this CA
             "alpn": ["http/1.1"],                ALPN offer (TLS only)
             "send": "GET / HTTP/1.1\\r\\n...",    bytes sent once connected (optional)
             "deadline_ms": 20000}

The TLS layer runs over memory BIOs, so the TCP end and the TLS end are seen apart:
a close_notify alert is a clean TLS end (read() gives nothing), a TCP FIN is recv()
returning nothing, a TCP RST is ECONNRESET. On close_notify the probe answers with its
own close_notify, as a polite client does, and keeps reading until the TCP end.

Prints one JSON line: {"connected": bool, "alpn": "h2"|"http/1.1"|null,
  "tls_version": "TLSv1.3"|null, "received": "<plaintext, latin-1>", "bytes": N,
  "close_notify": bool, "tcp_end": "fin"|"reset"|"timeout", "error": "..."}
"""
import json
import socket
import ssl
import sys
import time


def main():
    port = int(sys.argv[1])
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    deadline = time.monotonic() + config.get('deadline_ms', 20000) / 1000.0
    out = {'connected': False, 'alpn': None, 'tls_version': None, 'received': '',
           'bytes': 0, 'close_notify': False, 'tcp_end': 'timeout', 'error': ''}
    received = bytearray()

    def left():
        return max(0.001, deadline - time.monotonic())

    def recv_tcp(sock):
        """Bytes, b'' at FIN, None at RST; raises socket.timeout at the deadline."""
        sock.settimeout(left())
        try:
            return sock.recv(65536)
        except ConnectionResetError:
            return None

    sock = socket.create_connection(('127.0.0.1', port), timeout=left())
    try:
        tls = None
        outgoing = None
        incoming = None
        if config.get('tls'):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(config['ca'])
            if config.get('alpn'):
                context.set_alpn_protocols(config['alpn'])
            incoming = ssl.MemoryBIO()
            outgoing = ssl.MemoryBIO()
            tls = context.wrap_bio(incoming, outgoing, server_hostname='127.0.0.1')

        def flush():
            if outgoing is not None and outgoing.pending:
                sock.sendall(outgoing.read())

        if tls is not None:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    flush()
                    data = recv_tcp(sock)
                    if not data:
                        out['tcp_end'] = 'fin' if data == b'' else 'reset'
                        out['error'] = 'closed during the TLS handshake'
                        return out
                    incoming.write(data)
            flush()
            out['alpn'] = tls.selected_alpn_protocol()
            out['tls_version'] = tls.version()
        out['connected'] = True

        if config.get('send'):
            payload = config['send'].encode('latin-1')
            if tls is not None:
                tls.write(payload)
                flush()
            else:
                sock.sendall(payload)

        # Read to the end: the TLS records first, then whatever the TCP end is.
        tls_open = tls is not None
        while True:
            data = recv_tcp(sock)
            if data is None:
                out['tcp_end'] = 'reset'
                break
            if data == b'':
                out['tcp_end'] = 'fin'
                break
            if tls is None:
                received += data
                continue
            if not tls_open:
                continue  # bytes after the close_notify: none expected, not plaintext
            incoming.write(data)
            while True:
                try:
                    plain = tls.read(65536)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    plain = b''
                if plain:
                    received += plain
                else:
                    # A clean TLS end: the peer's close_notify arrived.
                    out['close_notify'] = True
                    tls_open = False
                    try:
                        tls.unwrap()
                    except ssl.SSLError:
                        pass
                    flush()
                    break
    except socket.timeout:
        out['tcp_end'] = 'timeout'
    except (ssl.SSLError, OSError) as e:
        out['error'] = type(e).__name__ + ': ' + str(e)
    finally:
        out['received'] = received.decode('latin-1')
        out['bytes'] = len(received)
        sock.close()
    return out


if __name__ == '__main__':
    sys.stdout.write(json.dumps(main()) + '\n')
