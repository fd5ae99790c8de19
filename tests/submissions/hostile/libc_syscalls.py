"""Attack: call into libc / the kernel with ctypes for what a sandbox must not allow.

Each call is harmless to the machine even where it succeeds: ptrace
attaches to the parent only if it is the grader's zygote (and detaches at
once); mount puts a 1 MB tmpfs on a directory of the submission's own cwd
(and unmounts it); unshare runs in a forked child; bpf creates a 1-entry
array map; perf_event_open counts this process's own CPU clock; keyctl
adds a key to the process keyring (gone with the process); personality
sets ADDR_NO_RANDOMIZE on itself. Also userfaultfd, io_uring_setup,
open_by_handle_at, setns into the parent's namespaces, chroot. Each result
is printed as ``FCH <call>=ok|failed <errno>``. sigmoid is honest.

Expected verdict: every call except personality fails (EPERM / ENOSYS,
seccomp); at most the sigmoid point; the neighbour keeps full marks.
"""
import ctypes
import os

import numpy as np

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _r(label, ret, cleanup=None):
    if ret is not None and ret >= 0:
        _say(label, "ok")
        if cleanup:
            try:
                cleanup(ret)
            except OSError:
                pass
    else:
        _say(label, f"failed {ctypes.get_errno()}")


def _close(fd):
    os.close(fd)


def _parent_is_grader():
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as fh:
            cmd = fh.read()
    except OSError:
        return False
    return any(g in cmd for g in (b"zygote_main", b"checks.grader", b"checks.worker", b"bwrap"))


def ptrace_parent():
    if not _parent_is_grader():
        _say("ptrace_attach_parent", "failed no-grader-parent")
        return
    pp = os.getppid()
    r = libc.ptrace(16, pp, None, None)  # PTRACE_ATTACH
    if r == 0:
        try:
            os.waitpid(pp, 0x40000000)
        except OSError:
            pass
        libc.ptrace(17, pp, None, None)  # PTRACE_DETACH
    _r("ptrace_attach_parent", 0 if r == 0 else -1)


def mount_tmpfs():
    d = os.path.abspath("fchostile-mnt")
    os.makedirs(d, exist_ok=True)
    r = libc.mount(b"none", d.encode(), b"tmpfs", 0, b"size=1m")
    _r("mount", r, lambda _: libc.umount2(d.encode(), 2))


def unshare_child():
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            msg = []
            r = libc.unshare(0x10000000 | 0x00020000)  # CLONE_NEWUSER | CLONE_NEWNS
            msg.append("unshare_userns=" + ("ok" if r == 0 else f"failed {ctypes.get_errno()}"))
            if r == 0:
                d = os.path.abspath("fchostile-mnt2")
                os.makedirs(d, exist_ok=True)
                m = libc.mount(b"none", d.encode(), b"tmpfs", 0, b"size=1m")
                msg.append("mount_in_userns=" + ("ok" if m == 0 else f"failed {ctypes.get_errno()}"))
            r = libc.unshare(0x40000000)  # CLONE_NEWNET (without a user namespace)
            msg.append("unshare_net=" + ("ok" if r == 0 else f"failed {ctypes.get_errno()}"))
            os.write(wr, ";".join(msg).encode())
        finally:
            os._exit(0)
    os.close(wr)
    data = os.read(rd, 4096).decode()
    os.close(rd)
    os.waitpid(pid, 0)
    for kv in filter(None, data.split(";")):
        k, _, v = kv.partition("=")
        _say(k, v)


def setns_parent():
    try:
        fd = os.open(f"/proc/{os.getppid()}/ns/mnt", os.O_RDONLY)
    except OSError as e:
        _say("setns", f"failed {e.errno}")
        return
    r = libc.setns(fd, 0)
    os.close(fd)
    _r("setns", r if r == 0 else -1)


def bpf_map():
    attr = (ctypes.c_uint32 * 32)()
    attr[0], attr[1], attr[2], attr[3] = 2, 4, 4, 1  # BPF_MAP_TYPE_ARRAY, key 4, value 4, 1 entry
    _r("bpf", libc.syscall(321, 0, ctypes.byref(attr), ctypes.sizeof(attr)), _close)


def perf_event():
    attr = (ctypes.c_uint8 * 128)()
    ctypes.c_uint32.from_buffer(attr, 0).value = 1       # PERF_TYPE_SOFTWARE
    ctypes.c_uint32.from_buffer(attr, 4).value = 128     # size
    ctypes.c_uint64.from_buffer(attr, 8).value = 0       # PERF_COUNT_SW_CPU_CLOCK
    ctypes.c_uint64.from_buffer(attr, 40).value = (1 << 5) | (1 << 6)  # exclude_kernel, exclude_hv
    _r("perf_event_open", libc.syscall(298, ctypes.byref(attr), 0, -1, -1, 0), _close)


def keyctl():
    _r("add_key", libc.syscall(248, b"user", b"fchostile-key", b"x", 1, ctypes.c_long(-2)))  # process keyring
    _r("keyctl_get_session", libc.syscall(250, 0, ctypes.c_long(-3), 0))  # KEYCTL_GET_KEYRING_ID


def personality():
    old = libc.personality(0xFFFFFFFF)
    r = libc.personality(0x0040000)  # ADDR_NO_RANDOMIZE
    _r("personality", r)
    libc.personality(old)


def userfaultfd():
    _r("userfaultfd", libc.syscall(323, 0o2000000 | 1), _close)  # O_CLOEXEC | UFFD_USER_MODE_ONLY


def io_uring():
    params = (ctypes.c_uint8 * 120)()
    _r("io_uring_setup", libc.syscall(425, 1, ctypes.byref(params)), _close)


def open_by_handle():
    handle = (ctypes.c_uint8 * 16)()
    ctypes.c_uint32.from_buffer(handle, 0).value = 8
    _r("open_by_handle_at", libc.syscall(304, -100, ctypes.byref(handle), 0), _close)


def chroot():
    d = os.path.abspath("fchostile-root")
    os.makedirs(d, exist_ok=True)
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.chroot(d.encode()) == 0 else 1)
    _, st = os.waitpid(pid, 0)
    _say("chroot", "ok" if os.waitstatus_to_exitcode(st) == 0 else "failed")


for _f in (ptrace_parent, mount_tmpfs, unshare_child, setns_parent, bpf_map, perf_event, keyctl, personality,
           userfaultfd, io_uring, open_by_handle, chroot):
    try:
        _f()
    except Exception as e:
        _say(_f.__name__, f"failed {type(e).__name__}")


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
