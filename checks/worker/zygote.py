"""The launcher of the sandboxes: a small stdlib-only process outside them.

The grader holds torch and runs threads, so it never forks a worker itself:
it starts this zygote once (``python -I -S``) and asks it, over a
SOCK_SEQPACKET socket, to

- ``spawn``: fork; in the child join the submission's cgroups (their
  ``cgroup.procs`` files), start a new session, put the passed descriptors
  at 3, 4, 5..., close every other one and exec the given command
  (bubblewrap, or the worker's interpreter where namespaces are not to be
  had);
- ``wait``: reap a child with a timeout (its exit code);
- ``sweep``: kill every process of a private uid (root only);
- ``sweep_tree``: kill a process group and every stray child (the zygote
  is a child subreaper, so whatever a sandbox left behind is re-parented
  here: the path without namespaces and without a private uid);
- ``ping``.

It dies with the grader (``PR_SET_PDEATHSIG``), and kills what is left when
the grader hangs up.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys
import time

_WORKERS: set[int] = set()
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36


def _prctl(*args) -> int:
    return ctypes.CDLL(None, use_errno=True).prctl(*[ctypes.c_ulong(a) for a in args])


def main(ctl_fd: int, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the grader died before the line above
        os._exit(0)
    subreaper = _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    _prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: a worker of the same uid cannot read our memory
    ctl = socket.socket(fileno=ctl_fd)
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 20, 16)
        except (ConnectionError, OSError):
            break
        if not msg:
            break
        try:
            req = json.loads(msg)
            op = req["op"]
            if op == "spawn":
                reply = {"pid": _spawn(req, fds)}
            elif op == "wait":
                reply = {"code": _wait(int(req["pid"]), float(req.get("timeout", 5.0)))}
            elif op == "sweep":
                _sweep(int(req["uid"]))
                _sweep_tree(0, 3.0)
                reply = {"ok": True}
            elif op == "sweep_tree":
                reply = {"ok": True, "killed": _sweep_tree(int(req["pgid"]), float(req.get("timeout", 3.0)))}
            elif op == "ping":
                reply = {"ok": True, "subreaper": subreaper, "modules": sorted({m.split(".")[0] for m in sys.modules})}
            else:
                reply = {"error": f"unknown op {op!r}"}
        except ChildProcessError:
            reply = {"code": None}
        except Exception as e:  # a bug of ours: answer, never die silently
            reply = {"error": f"{type(e).__name__}: {e}"}
        finally:
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        ctl.sendall(json.dumps(reply).encode())
    _WORKERS.clear()
    _sweep_tree(0, 3.0)  # the grader is gone: nothing of ours may outlive it
    os._exit(0)


def _spawn(req: dict, fds: list[int]) -> int:
    argv, env = [str(a) for a in req["argv"]], {str(k): str(v) for k, v in req["env"].items()}
    procs = [str(p) for p in req.get("cgroups", [])]
    cwd = str(req.get("cwd", "/"))
    r, w = os.pipe()  # the child's exec failure comes back here
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            for p in procs:  # before exec: everything the sandbox starts is in its cgroups
                with open(p, "w") as fh:
                    fh.write(str(os.getpid()))
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            # descriptors passed: at 3, 4, 5... in order; the error pipe above them, close-on-exec
            hi = 3 + len(fds) + 64
            moved = [os.dup2(fd, hi + i) for i, fd in enumerate(fds)]
            w2 = os.dup2(w, hi + len(moved))
            for i, fd in enumerate(moved):
                os.dup2(fd, 3 + i, inheritable=True)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.set_inheritable(w2, False)
            os.closerange(3 + len(moved), w2)
            os.closerange(w2 + 1, 1 << 16)
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        except BaseException as e:
            try:
                os.write(w2 if "w2" in locals() else w, f"{type(e).__name__}: {e}".encode()[:1000])
            finally:
                os._exit(127)
    os.close(w)
    err = b""
    while True:
        b = os.read(r, 4096)
        if not b:
            break
        err += b
    os.close(r)
    if err:
        os.waitpid(pid, 0)
        raise OSError(f"could not start {argv[0]}: {err.decode('utf-8', 'replace')}")
    _WORKERS.add(pid)
    return pid


def _wait(pid: int, timeout: float) -> int | None:
    end = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _WORKERS.discard(pid)
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end:
            return None
        time.sleep(0.002)


def _sweep(uid: int) -> None:
    """Kill every process of ``uid`` (a private uid): fork, setuid, kill(-1) until none is left."""
    if os.geteuid() != 0 or uid <= 0:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(1000):
                try:
                    os.kill(-1, signal.SIGKILL)  # every process this uid may signal, not this one
                except ProcessLookupError:
                    break
                if not _alive(uid, os.getpid()):  # zombies aside: they answer kill() but are dead
                    break
                time.sleep(0.002)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _alive(uid: int, me: int) -> bool:
    """Is a process of ``uid`` (other than ``me``, zombies aside) still running?"""
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != me:
            try:
                with open(f"/proc/{d}/status", "rb") as fh:
                    state = None
                    for line in fh:
                        if line.startswith(b"State:"):
                            state = line.split()[1]
                        elif line.startswith(b"Uid:"):
                            if int(line.split()[1]) == uid and state != b"Z":
                                return True
                            break
            except (OSError, ValueError, IndexError):
                pass
    return False


def _children(ppid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    st = fh.read()
                if int(st[st.rindex(b")") + 2:].split()[1]) == ppid:
                    out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _sweep_tree(pgid: int, timeout: float) -> int:
    """Kill process group ``pgid`` (0: none), then every child of the zygote that is not a live sandbox."""
    if pgid > 0:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    me, reaped = os.getpid(), 0
    end = time.monotonic() + timeout
    while True:
        strays = [p for p in _children(me) if p not in _WORKERS]
        if not strays:
            return reaped
        for p in strays:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in strays:
            try:
                done, _ = os.waitpid(p, os.WNOHANG)
                reaped += bool(done)
            except ChildProcessError:
                pass
        if time.monotonic() > end:
            return reaped
        time.sleep(0.001)
