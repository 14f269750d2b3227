#!/usr/bin/env python3
"""tests/serve/monitor_socket.py MONITOR - random bytes on the monitor's socket.

Starts ward-monitor (sandboxed) with a control socket, as `ward serve` does,
hands it one connection after another over SCM_RIGHTS and writes garbage
on each: random bytes, a header announcing a huge payload, valid headers
with malformed fields. The monitor must answer what it can decode with an
error, drop what it cannot, and stay up; a valid HELLO at the end must get
OK. Every read has a timeout. Prints "N passed, N failed"."""
import os, random, socket, struct, subprocess, sys, time

MAGIC = 0x31445257
passed = failed = 0


def ok(name):
    global passed
    passed += 1
    print("PASS", name)


def bad(name, why):
    global failed
    failed += 1
    print("FAIL", name + ":", why)


def msg(t, fields, id=1):
    p = b"".join(struct.pack("<HI", tag, len(v)) + v for tag, v in fields)
    return struct.pack("<IHHII", MAGIC, t, 1, id, len(p)) + p


def read_msg(s, timeout=5.0):
    s.settimeout(timeout)
    hdr = b""
    while len(hdr) < 16:
        chunk = s.recv(16 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    magic, t, ver, id, n = struct.unpack("<IHHII", hdr)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return t, id, body


ctl_parent, ctl_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
mon = subprocess.Popen([sys.argv[1], "--ctl", str(ctl_child.fileno()), "--workers", "1"],
                       pass_fds=[ctl_child.fileno()], stderr=subprocess.DEVNULL)
ctl_child.close()


def new_conn():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(ctl_parent, [b"c"], [b.fileno()])
    b.close()
    return a


rng = random.Random(1234)
try:
    # 1. random bytes, 40 connections
    for i in range(40):
        c = new_conn()
        try:
            c.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096))))
        except OSError:
            pass
        c.close()
    time.sleep(0.2)
    ok("random bytes on 40 connections") if mon.poll() is None else bad("random bytes", "monitor died")

    # 2. a header announcing 4 GiB: refused without allocating it
    c = new_conn()
    c.sendall(struct.pack("<IHHII", MAGIC, 5, 1, 9, 0xFFFFFFF0))
    time.sleep(0.2)
    ok("huge announced payload") if mon.poll() is None else bad("huge payload", "monitor died")
    c.close()

    # 3. decodable header, malformed fields: an ERROR reply naming the problem
    cases = {
        "unknown field": msg(5, [(200, b"x")], 11),
        "number of 3 bytes": msg(3, [(7, b"abc")], 12),
        "repeated field": msg(5, [(1, b"a"), (1, b"b")], 13),
        "field past the end": struct.pack("<IHHII", MAGIC, 5, 1, 14, 6) + struct.pack("<HI", 1, 100),
        "NUL in a name": msg(3, [(1, b"a\0b"), (2, b"f"), (3, b"\0asm")], 15),
        "deploy of a bad module": msg(3, [(1, b"t"), (2, b"f"), (3, b"\0asm\2\0\0\0")], 16),
        "invoke of nothing": msg(5, [(1, b"t")], 17),
        "sealed invoke (reserved)": msg(5, [(1, b"t"), (12, b"f"), (27, b"ciphertext")], 18),
        "attest (reserved)": msg(7, [(24, b"nonce")], 19),
    }
    c = new_conn()
    for name, m in cases.items():
        c.sendall(m)
        r = read_msg(c)
        if r and r[0] == 66 and r[1] == struct.unpack("<I", m[8:12])[0]:
            ok("error reply: " + name)
        else:
            bad("error reply: " + name, repr(r))
    c.close()

    # 4. random mutations of a valid deploy, on one connection each
    base = msg(3, [(1, b"t"), (2, b"f"), (3, b"\0asm\1\0\0\0"), (8, struct.pack("<Q", 100))], 20)
    for i in range(200):
        m = bytearray(base)
        for _ in range(rng.randint(1, 6)):
            m[rng.randrange(len(m))] = rng.getrandbits(8)
        c = new_conn()
        try:
            c.sendall(bytes(m))
            c.shutdown(socket.SHUT_WR)
            read_msg(c, 2.0)
        except (OSError, socket.timeout):
            pass
        c.close()
    ok("200 mutated deploys") if mon.poll() is None else bad("mutated deploys", "monitor died")

    # 5. still serves a good client
    c = new_conn()
    c.sendall(msg(1, [], 77))
    r = read_msg(c)
    ok("HELLO answered OK after the garbage") if r and r[0] == 64 and r[1] == 77 else bad("HELLO", repr(r))
    c.close()
finally:
    ctl_parent.close()  # the monitor exits when its supervisor goes away
    try:
        rc = mon.wait(timeout=10)
        ok("monitor exits when the supervisor goes") if rc == 0 else bad("monitor exit", "status %d" % rc)
    except subprocess.TimeoutExpired:
        mon.kill()
        bad("monitor exit", "still running after 10 s")

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
