"""Hostile submissions below namespaces, at the seccomp levels (seccomp+uid, seccomp): no sockets,
no exec, no dangerous system calls, no tracing, the grader's memory through /proc.

Part of the split of test_levels.py (the design of these tests: the docstring of
tests/grader/_levels_run.py; the machinery: _levels_run.py, _levels_batches.py).
"""

from __future__ import annotations

import pytest

from tests.grader._levels_run import WITH_SECCOMP
from tests.grader._levels_batches import caps, graded, hidden_vectors, shared_dir  # noqa: F401  fixtures


# --------------------------------------------------------------------------
# seccomp: no sockets, no exec, no dangerous system calls, no tracing
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_no_socket_can_be_created(graded, level):
    """download_socket: the test's servers get no connection, every socket call fails, no point."""
    o = graded("reach", level)
    rep = o.rep("download_socket")
    assert o.extra["served"] == {"tcp": 0, "unix": 0}, f"the submission reached the test's servers\n{o.say()}"
    probes = {k: v for k, v in rep.items() if k.startswith(("netlink", "af_packet", "socketpair", "listen", "connect"))}
    assert len(probes) >= 6 and all(v.startswith("failed") for v in probes.values()), f"sockets were created: {probes}"
    assert o.r("download_socket")["score"] == 0, o.say()


@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_no_other_program_can_be_executed(graded, level):
    """exec_interpreter: /bin/sh and every other interpreter (the torch helper) are refused."""
    o = graded("reach", level)
    rep = o.rep("exec_interpreter")
    assert rep.get("shell", "").startswith("failed"), rep
    assert rep.get("torch_helper") == "failed", rep
    execs = {k: v for k, v in rep.items() if k.startswith("exec_")}
    assert execs and all(v.startswith("failed") for v in execs.values()), execs
    assert o.r("exec_interpreter")["score"] == 0, o.say()


@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_dangerous_system_calls_are_refused(graded, level):
    """libc_syscalls: unshare, mount, setns, chroot, keyctl, bpf, perf_event_open, io_uring, userfaultfd... all fail."""
    o = graded("reach", level)
    rep = o.rep("libc_syscalls")
    for call in ("unshare_userns", "unshare_net", "mount", "bpf", "perf_event_open", "add_key", "keyctl_get_session",
                 "userfaultfd", "io_uring_setup", "ptrace_attach_parent", "open_by_handle_at", "setns", "chroot"):
        assert rep.get(call, "missing").startswith("failed"), f"{call}: {rep.get(call, 'not reported')}\n{o.say()}"
    assert not o.unearned("libc_syscalls"), o.say()


@pytest.mark.parametrize("level", WITH_SECCOMP)
def test_other_processes_cannot_be_traced(graded, level):
    """read_vectors_memory: ptrace(PTRACE_ATTACH) and process_vm_readv of the supervisor, zygote and grader fail."""
    rep = graded("reach", level).rep("read_vectors_memory")
    calls = {k: v for k, v in rep.items() if k.startswith(("ptrace_", "process_vm_readv_"))}
    assert len(calls) >= 6 and all(v.startswith("failed") for v in calls.values()), calls


_PROC_MEM_AT_SECCOMP = (
    "documented gap: at the 'seccomp' level as this root machine produces it (drop_privileges=False) the runner is "
    "root and keeps CAP_SYS_PTRACE; the runner's filter denies ptrace and process_vm_readv but not "
    "open('/proc/<grader pid>/mem'), and the grader and the zygote being non-dumpable (PR_SET_DUMPABLE 0) does not "
    "stop a process with CAP_SYS_PTRACE: read_vectors_memory reads the grader's memory (its expected answers)")


@pytest.mark.parametrize("level", ["seccomp+uid",
                                   pytest.param("seccomp", marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                                 reason=_PROC_MEM_AT_SECCOMP))])
def test_the_graders_memory_cannot_be_read_through_proc(graded, level):
    rep = graded("reach", level).rep("read_vectors_memory")
    mem = {k: v for k, v in rep.items() if k.startswith("proc_mem_")}
    assert len(mem) >= 3, rep
    assert all(v.startswith("failed") for v in mem.values()), f"/proc/<pid>/mem of the grader's processes was read: {mem}"
