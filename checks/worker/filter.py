"""The seccomp filters of a worker (libseccomp, through the ``pyseccomp`` package).

Two filters stack: :func:`load_supervisor` in the sandbox's supervisor
process before anything of the submission exists, and :func:`load_runner`
in the process that runs the submission, on top of it. Both set
``no_new_privs`` (a setuid binary gains nothing). Denied calls fail with
EPERM, so honest code sees an ordinary error, never a kill:

- every way to look into or act on another process: ``ptrace``,
  ``process_vm_readv``/``writev``, ``kcmp``, ``pidfd_getfd``;
- every way out of the sandbox or into the kernel's configuration:
  ``mount`` and the new mount API, ``umount2``, ``pivot_root``, ``chroot``,
  ``unshare``, ``setns``, a ``clone`` with namespace flags, ``keyctl`` and
  keys, ``bpf``, ``perf_event_open``, ``userfaultfd``, ``io_uring``, module
  loading, ``kexec``, ``reboot``, swap, clocks, ``acct``, ``quotactl``,
  file handles (``open_by_handle_at``), ``ioperm``/``iopl``;
- sockets: no ``socket`` or ``socketpair`` at all (the channels the worker
  needs exist before the filter is loaded);
- the runner only: ``execve``/``execveat`` (no other program, no other
  interpreter), and signals to the supervisor (``kill``/``tgkill`` of its
  pid, ``kill(-1)``).

``clone3`` answers ENOSYS, so the C library falls back to ``clone``, whose
flags the filter can see. A system call of another ABI (i386, x32) kills the
process (libseccomp's default for a foreign architecture).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno

DENY_ALWAYS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "name_to_handle_at", "open_by_handle_at", "ioperm", "iopl", "syslog", "vhangup", "lookup_dcookie",
    "fanotify_init", "socket", "socketpair",
)
DENY_RUNNER = ("execve", "execveat")
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NS_BITS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)
_U32 = 0xFFFFFFFF


def _lib():
    """pyseccomp, loaded without running ldconfig or a compiler (neither exists in the sandbox)."""
    find = ctypes.util.find_library
    known = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}
    ctypes.util.find_library = lambda name: known.get(name) or find(name)
    try:
        import pyseccomp
    finally:
        ctypes.util.find_library = find
    return pyseccomp


def available() -> str | None:
    """None when seccomp filters can be loaded here, else why not."""
    try:
        _lib()
    except (ImportError, OSError, AttributeError) as e:
        return f"libseccomp is not usable ({type(e).__name__}: {e}); install the pyseccomp package and libseccomp2"
    return None


def _base(sc):
    f = sc.SyscallFilter(sc.ALLOW)
    f.set_attr(sc.Attr.CTL_NNP, 1)
    eperm = sc.ERRNO(errno.EPERM)
    for name in DENY_ALWAYS:
        try:
            f.add_rule(eperm, name)
        except (OSError, RuntimeError, ValueError):  # a call this kernel / libseccomp does not know
            pass
    for bit in CLONE_NS_BITS:  # one rule per flag: any of them denies the call
        f.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, bit, bit))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    return f


def load_supervisor() -> None:
    sc = _lib()
    _base(sc).load()


def load_runner(supervisor_pid: int) -> None:
    """The runner's filter (stacked on the supervisor's, which it inherited)."""
    sc = _lib()
    f = _base(sc)
    eperm = sc.ERRNO(errno.EPERM)
    for name in DENY_RUNNER:
        f.add_rule(eperm, name)
    pid = supervisor_pid & _U32
    f.add_rule(eperm, "kill", sc.Arg(0, sc.MASKED_EQ, _U32, pid))
    f.add_rule(eperm, "kill", sc.Arg(0, sc.MASKED_EQ, _U32, _U32))          # kill(-1, ...)
    f.add_rule(eperm, "kill", sc.Arg(0, sc.MASKED_EQ, _U32, (-pid) & _U32))  # its process group
    f.add_rule(eperm, "tgkill", sc.Arg(0, sc.MASKED_EQ, _U32, pid))
    f.add_rule(eperm, "tkill", sc.Arg(0, sc.MASKED_EQ, _U32, pid))
    f.add_rule(eperm, "pidfd_open", sc.Arg(0, sc.MASKED_EQ, _U32, pid))
    f.load()
