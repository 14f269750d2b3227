#!/usr/bin/env python3
"""relay.py PORT_FILE TARGET_PORT CAPTURE DUMP_DIR MODE [PORT] - a small HTTP relay
between `ward client` and a node's gateway on loopback, for tests/attest.

It records every byte that passes in both directions (CAPTURE), saves the
body of every sealed request (X-Ward-Sealed: 1) as DUMP_DIR/req-N.bin, and
can play the attacker on the network (MODE):
  pass            forward unchanged
  flip-request    flip one bit of a sealed request's ciphertext
  flip-receipt    flip one bit of the receipt of a sealed reply
  stale-evidence  answer every attestation after the first with the first
                  evidence (evidence for another nonce)
Listens on PORT (default: any free one; the same port again keeps the
client's URL, and so its pins, across relays) and writes it to PORT_FILE. Runs until killed; every
socket operation has a timeout."""
import os
import socket
import sys
import threading

port_file, target, capture, dump_dir, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
lock = threading.Lock()
state = {"evidence": None, "nreq": 0}


def log(data):
    with lock:
        with open(capture, "ab") as f:
            f.write(data)


def read_message(sock, buf):
    """One HTTP message (headers and a Content-Length body): (bytes, rest) or (None, b'')."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def split(msg):
    head, _, body = msg.partition(b"\r\n\r\n")
    return head, body


def sealed(head):
    return b"\r\nx-ward-sealed: 1" in head.lower()


def flip(body, off):
    if len(body) <= off:
        return body
    b = bytearray(body)
    b[off] ^= 0x01
    return bytes(b)


def serve(client):
    server = None
    cbuf = sbuf = b""
    try:
        client.settimeout(30)
        # A node that is not there closes the client's connection at once
        # (the finally below), rather than leave ward client waiting.
        server = socket.create_connection(("127.0.0.1", target), timeout=30)
        while True:
            req, cbuf = read_message(client, cbuf)
            if req is None:
                return
            head, body = split(req)
            path = head.split(b" ")[1] if b" " in head else b""
            if sealed(head):
                with lock:
                    state["nreq"] += 1
                    n = state["nreq"]
                with open(os.path.join(dump_dir, "req-%d.bin" % n), "wb") as f:
                    f.write(body)
                if mode == "flip-request":
                    body = flip(body, 176 + 4)  # the first ciphertext byte (faas/attest.h)
            req = head + b"\r\n\r\n" + body
            log(req)
            server.sendall(req)
            rsp, sbuf = read_message(server, sbuf)
            if rsp is None:
                return
            head, body = split(rsp)
            if mode == "flip-receipt" and sealed(head):
                body = flip(body, 64 + 70)  # inside the receipt's input hash
            if mode == "stale-evidence" and path.endswith(b"/attest") and head.startswith(b"HTTP/1.1 200"):
                with lock:
                    if state["evidence"] is None:
                        state["evidence"] = body
                    else:
                        body = state["evidence"]
            rsp = head + b"\r\n\r\n" + body
            log(rsp)
            client.sendall(rsp)
    except (OSError, ValueError):
        return
    finally:
        client.close()
        if server is not None:
            server.close()


def main():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(sys.argv[6]) if len(sys.argv) > 6 else 0))
    ls.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
