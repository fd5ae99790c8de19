"""Hostile submissions at namespaces+seccomp: the worker's own reports and frames; other processes
(the grader, the zygote, the classmate), resources, system calls, the sandbox's PID 1, the environment.

Part of the split of test_hostile.py (the design of these tests: the docstring of
tests/grader/_hostile_run.py; the machinery: _hostile_run.py, _hostile_user.py, _hostile_checks.py).
"""

from __future__ import annotations

import pytest

from tests.grader._hostile_checks import BOTH, check_batch, grade_one, note
from tests.grader._hostile_run import _PROBLEM, MODES
from tests.grader._hostile_user import mode, realuser  # noqa: F401  fixtures
from tests.grader._hostile_checks import env  # noqa: F401  fixtures

pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or "")


# --------------------------------------------------------------------------
# the worker's own reports and frames
# --------------------------------------------------------------------------

def test_patching_the_worker_cannot_hide_an_in_place_change(env):
    b = grade_one(env, "patch_worker_compare")
    v = {t["id"]: t["verdict"] for t in b.hostile["tests"]}
    for fid in ("activations.relu_backward", "activations.tanh_backward", "activations.leaky_relu_backward"):
        assert v[fid] == "modified its arguments", f"{fid}: {v[fid]} (patched: {b.report.get('patched')})\n{b.say()}"
    check_batch(b, env)


def test_a_forged_fatal_frame_is_not_a_grader_error(env):
    b = grade_one(env, "forge_fatal_frame")
    for r in (b.hostile["message"], *(t["reason"] for t in b.hostile["tests"])):
        assert "regrade" not in r, f"the forged text reached the result: {r}\n{b.say()}"
    check_batch(b, env)


def test_late_frames_from_threads_atexit_and_del(env):
    b = grade_one(env, "forge_late_frames")
    assert all("regrade" not in t["reason"] for t in b.hostile["tests"]), b.say()
    check_batch(b, env)


def test_huge_and_deep_replies_do_not_exhaust_the_grader(env):
    ids = ["activations.sigmoid", "activations.sigmoid_backward", "activations.tanh_backward", "activations.relu_backward"]
    b = grade_one(env, "huge_reply", ids=ids, timeout=20.0, examples_by_id={"activations.sigmoid_backward": 12}, bound=90)
    v = {t["id"]: t["verdict"] for t in b.hostile["tests"]}
    assert all(t["score"] == 0 for t in b.hostile["tests"]), v
    mb = b.maxrss_kb / 1024
    assert mb < 700, f"the grader's peak memory reached {mb:.0f} MB on one submission's replies\n{b.say()}"
    check_batch(b, env)


# --------------------------------------------------------------------------
# other processes: the grader, the zygote, the classmate
# --------------------------------------------------------------------------

@BOTH
def test_cannot_kill_or_freeze_the_grader_or_the_classmate(env):
    b = grade_one(env, "kill_grader")
    ok = {k: v for k, v in b.report.items() if v == "ok"}
    assert not ok, f"signals got through: {ok}\n{b.say()}"
    check_batch(b, env)


@BOTH
def test_cpu_starvation_does_not_time_out_a_slow_classmate(env, request):
    """14 busy processes vs a correct classmate needing 0.6 s of CPU per formula (3 s allowed), --jobs 2.

    As a normal user there is no cgroup to share the CPU fairly between the workers: the classmate
    may time out. What holds there, asserted: the grader finishes, the hostile file gets at most its
    sigmoid point, the classmate loses formulas only as "timed out" (none wrong, no crash), nothing
    is left; how many it lost is recorded (``neighbour_timed_out``)."""
    b = grade_one(env, "starve_cpu", slow_neighbour=0.6, timeout=3.0, bound=90)
    lost = sorted(t["id"] for t in b.neighbour["tests"] if t["score"] < t["max_score"])
    note(request, hogs=b.report.get("hogs"), neighbour_timed_out=len(lost), neighbour_formulas=len(b.neighbour["tests"]),
         neighbour_score=f"{b.neighbour['score']:g}/{b.neighbour['max_score']:g}", seconds=round(b.seconds, 1))
    check_batch(b, env, neighbour_may_time_out=env.mode != "root")


@BOTH
def test_memory_across_children_is_capped(env, request):
    """12 children x 256 MB against a 2048 MB limit.

    As a normal user there is no memory cgroup: RLIMIT_AS limits each process, not the sandbox, so
    the children may hold more than the limit together. What holds there, asserted: each process
    stays under the limit (the attack's 256 MB each succeed, a 2 GB one would not), the grader and
    the classmate are unaffected, nothing is left; what was held at once is recorded (``held_mb``
    as the attack counted it within its 15 s, ``sandbox_max_mb``: the sum of the sandbox's PSS
    sampled from outside)."""
    b = grade_one(env, "memory_hog", import_timeout=20.0)
    held = int(b.report.get("held_mb", "0"))
    numbers = env.sampler.numbers() if env.sampler is not None else {}
    note(request, children=b.report.get("children"), held_mb=held, **numbers)
    if env.mode == "root":
        assert held <= 2048, f"the submission held {held} MB at once (limit 2048 MB)\n{b.say()}"
    else:  # per process only: 12 x 256 MB may all be held; never more than the processes x the limit
        assert held <= int(b.report.get("children", "0")) * 256, b.say()
    check_batch(b, env)


@pytest.mark.parametrize("mode", [*MODES, "realuser"], indirect=True)
def test_fork_bomb_is_bounded(env, request):
    """At most max_processes (16) at once. In "user" mode the kernel cannot show it: the emulating user
    namespace keeps the kernel uid 0, which RLIMIT_NPROC never applies to (``copy_process`` exempts
    INIT_USER), so there the bound is asserted by "realuser" (a real unprivileged uid); "user" asserts
    the rest (the grader, the classmate, nothing left behind of its up to 400 processes) and records
    the count."""
    b = grade_one(env, "fork_bomb", import_timeout=10.0)
    alive = int(b.report.get("alive", "0"))
    note(request, forked=b.report.get("forked"), alive=alive)
    if env.mode != "user":
        assert alive <= 16, f"{alive} processes at once (max_processes 16)\n{b.say()}"
    check_batch(b, env)


def test_signal_handlers_and_threads_do_not_hang_the_grader(env):
    b = grade_one(env, "signals_threads", timeout=2.0)
    v = {t["id"]: t["verdict"] for t in b.hostile["tests"]}
    assert v["activations.sigmoid"] == "passed" and v["activations.sigmoid_backward"] == "timed out", v
    assert v["activations.tanh_backward"] != "passed", v
    check_batch(b, env)


@BOTH
def test_dangerous_syscalls_are_refused(env):
    b = grade_one(env, "libc_syscalls")
    rep = b.report
    allowed_anyway = {"personality"}
    ok = {k: v for k, v in rep.items() if k not in allowed_anyway and v.startswith("ok")}
    assert not ok, f"these calls succeeded inside the sandbox: {ok}\n{b.say()}"
    check_batch(b, env)


class OutsideSeccomp(AssertionError):
    """The submission's code ran in a process without the seccomp filter."""


# Found by this test (fixed): on the normal-user path the sandbox's PID 1 was bubblewrap's own init,
# under the submission's uid, dumpable and without a seccomp filter; the runner wrote code into it
# through /proc/1/mem. The supervisor is now PID 1 itself (bwrap --as-pid-1): non-dumpable, filtered.


@pytest.mark.parametrize("mode", ["root", "user", "realuser"], indirect=True)
def test_no_code_runs_outside_the_seccomp_filter(env, request):
    """The sandbox's PID 1 (bubblewrap's init) cannot be made to run the submission's code.

    The common assertions come first (they hold in every mode: no point, the classmate, nothing
    left); only the bug itself is the expected failure (``OutsideSeccomp``)."""
    b = grade_one(env, "inject_sandbox_init")
    check_batch(b, env)
    rep = b.report
    ran = {k: v for k, v in rep.items() if k.startswith("pid1_") and k != "pid1_syscall" and v.startswith("ok")}
    note(request, **{k: v for k, v in rep.items() if k.startswith("pid1_")})
    if ran:
        raise OutsideSeccomp(f"code ran in the sandbox's PID 1, outside the seccomp filter: {ran}\n{b.say()}")


@BOTH
def test_environment_of_the_grader_is_not_visible(env):
    b = grade_one(env, "env_passwd")
    assert b.report.get("canary_seen") == "no", f"the grader's environment leaked: {b.report}\n{b.say()}"
    check_batch(b, env)
