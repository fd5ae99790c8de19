"""Hostile submissions below namespaces, at the private-uid levels (seccomp+uid, uid): the grader's
secrets, the classmate, the batch folder and the CLI's outputs, what is left on the machine.

Part of the split of test_levels.py (the design of these tests: the docstring of
tests/grader/_levels_run.py; the machinery: _levels_run.py, _levels_batches.py).
"""

from __future__ import annotations

import pytest

from tests.grader._levels_batches import _outcome_line
from tests.grader._levels_run import BatchDidNotRun, CLASSMATE, LEVELS, NEIGHBOUR, WITH_UID
from tests.grader._levels_batches import caps, graded, hidden_vectors, shared_dir  # noqa: F401  fixtures


# --------------------------------------------------------------------------
# a private uid: the grader's secrets, the classmate, the batch, the machine
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", WITH_UID)
def test_the_graders_memory_and_environment_are_out_of_reach(graded, level):
    """read_vectors_memory and env_passwd under another uid: no /proc/<pid>/mem, maps or environ."""
    o = graded("reach", level)
    rep = o.rep("read_vectors_memory")
    peeks = {k: v for k, v in rep.items() if k.split("_")[0] in ("maps", "proc", "process", "ptrace")}
    assert len(peeks) >= 9 and all(v.startswith("failed") for v in peeks.values()), peeks
    assert o.r("read_vectors_memory")["score"] == 0, o.say()
    env = o.rep("env_passwd")
    assert env.get("canary_seen") == "no", f"the grader's environment leaked: {env}"
    listings = {k: v for k, v in env.items() if k.startswith("list_")}
    assert listings and all(v.startswith("failed") for v in listings.values()), f"the grader's folders are listable: {listings}"
    assert not o.unearned("env_passwd")


_VECTORS_READABLE = (
    "documented gap: without a private uid (levels 'seccomp' and 'none') the submission runs as the grader's own "
    "user (here root with drop_privileges=False) and reads any file the grader can read: the hidden vectors file, "
    "0600 of that user, is read and read_vectors_memory returns every stored answer (full marks). docs/grading.md: "
    "never grade with a hidden file at these levels")


@pytest.mark.parametrize("level", [lv if lv in WITH_UID else
                                   pytest.param(lv, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                            reason=_VECTORS_READABLE))
                                   for lv in LEVELS])
def test_a_hidden_vectors_file_is_out_of_reach(graded, level, record_property):
    """read_vectors_memory, the hidden file's path known to it, graded WITH that file: no point, nothing read.

    With a private uid the attack sees the file (its folder is world-readable) and is refused it
    (PermissionError: 0600 of the grader's user). Without one it reads it: the strict xfail."""
    o = graded("reach", level)
    stem = "read_vectors_memory"
    rep = o.rep(stem)
    record_property("outcome", _outcome_line(o, stem))
    used = {n: r.get("vectors") for n, r in o.results.items()}
    if not o.extra.get("vectors_sha256") or set(used.values()) != {o.extra["vectors_sha256"]}:
        raise BatchDidNotRun(f"[{level}] the batch was not graded with the hidden vectors file: {used}, {o.extra}")
    if "vectors_files_read" not in rep:
        raise BatchDidNotRun(f"[{level}] {stem} did not report its search: {rep}")
    assert not o.unearned(stem), f"{stem} earned points with the hidden file's answers\n{o.say()}"
    # (another hidden file that other uids may read, elsewhere on the machine, is not this batch's file)
    read = [v for k, v in rep.items() if k.startswith("vectors_read_")]
    assert o.extra["vectors"] not in read, f"the hidden vectors file was read: {rep}"
    refused = [v for k, v in rep.items() if k.startswith("vectors_unreadable_") and v.startswith(o.extra["vectors"] + " PermissionError")]
    assert refused, f"{stem} never saw the hidden file (a weaker test): {rep}"


@pytest.mark.parametrize("level", WITH_UID)
def test_the_classmate_keeps_full_marks_and_nothing_is_left(graded, level):
    """kill_grader, fill_tmp (900 MB), fork_bomb, signals_threads graded beside the classmate, --jobs 2."""
    o = graded("classmate", level)
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], f"the classmate was hurt\n{o.say()}"
    for stem in CLASSMATE:
        r = o.r(stem)
        assert r["status"] != "grader error", f"{stem} made the grader report its own failure\n{o.say()}"
        assert not o.unearned(stem), f"{stem} earned points it did not implement honestly\n{o.say()}"
    signals = {k: v for k, v in o.rep("kill_grader").items() if v == "ok"}
    assert not signals, f"signals got through: {signals}"
    alive = int(o.rep("fork_bomb").get("alive", "0"))
    assert alive <= 16, f"{alive} processes at once (max_processes 16)"
    assert not o.left, f"left behind after the batch:\n" + "\n".join(o.left) + f"\n{o.say()}"


@pytest.mark.parametrize("level", WITH_UID)
def test_no_code_runs_in_another_process(graded, level):
    """inject_sandbox_init: without namespaces PID 1 is the machine's init, a root process: under a private uid
    /proc/1/syscall and /proc/1/mem are refused (the kernel's ptrace access check), nothing runs in it."""
    rep = graded("classmate", level).rep("inject_sandbox_init")
    assert rep.get("pid1_syscall", "").startswith("failed") or rep.get("pid1_mem_write", "").startswith("failed"), rep
    assert not any(k.startswith("pid1_") and k not in ("pid1_syscall", "pid1_mem_write") for k in rep), rep


@pytest.mark.parametrize("level", [*WITH_UID, "seccomp"])
def test_cli_outputs_and_the_batch_folder(graded, level, record_property):
    """The CLI, --jobs 1: daemon_rewrite (a setsid daemon acting after its submission), tamper_files, the classmate.

    With a private uid: no output rewritten 3 s after the batch, the batch folder
    byte for byte as it was, no forged JSON, the classmate graded in full,
    nothing of the daemon left. At 'seccomp' (the grader's own uid) only the
    level in the CSV is asserted: tamper_files rewrites the batch's files (the
    classmate, graded after it, gets 0/7) and leaves forged results.json /
    grades.csv in the batch folder and the JSON folder.
    """
    o = graded("cli", level)
    record_property("outcome", "\n".join([_outcome_line(o, s) for s in ("daemon_rewrite", "tamper_files")]
                                         + [_outcome_line(o, NEIGHBOUR[:-3]), f"{o.extra}"]))
    assert {r["isolation"] for r in o.ok().results.values()} == {level}, o.say()
    if "uid" not in level:
        return
    assert not o.extra["outputs_changed_later"], "the outputs changed after the batch (a daemon rewrote them)"
    assert o.extra["batch_changed"] == [], f"the batch folder changed: {o.extra['batch_changed']}"
    assert o.extra["json_files"] == ["daemon_rewrite.json", "tamper_files.json", "zz_neighbour.json"], o.extra
    assert not o.extra["forged_outputs"], o.extra
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], o.say()
    for stem in ("daemon_rewrite", "tamper_files"):
        assert o.r(stem)["score"] <= 1, o.say()
    assert not o.left, "left behind after the batch:\n" + "\n".join(o.left)


@pytest.mark.parametrize("level", WITH_UID)
def test_planted_files_do_not_reach_a_later_submission(graded, level):
    """plant_files then plant_check in the same job slot: no file, no setuid gain; nothing left in /tmp & co."""
    o = graded("plant", level)
    rep = o.rep("plant_check")
    assert rep.get("seen_files") == "0" and rep.get("setuid_gained") == "no", rep
    assert rep.get("my_uid") == str(o.uids[0]), f"plant_check did not run under the slot's private uid: {rep}"
    assert not o.left, "left behind after the batch:\n" + "\n".join(o.left)


# Found here (fixed): the System V IPC objects of a private uid outlived its submission; Sandbox.kill now
# removes them (checks.grader.uids.remove_ipc_of). At 'uid' (no seccomp: keyctl allowed) a key in the
# uid's user keyring still outlives it: that case stays a strict xfail, and the threat table says so.
_KEY_OUTLIVES = ("at 'uid' (no seccomp) a key planted in the private uid's user keyring outlives the submission "
                 "and is found by a later one in the same job slot")


@pytest.mark.parametrize("level", [pytest.param(lv, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                           reason=_KEY_OUTLIVES))
                                   if lv == "uid" else lv for lv in WITH_UID])
def test_planted_ipc_and_keys_do_not_reach_a_later_submission(graded, level):
    o = graded("plant", level)
    rep = o.rep("plant_check")
    assert o.rep("plant_files").get("sysv", "").count("=ok") == 3, "plant_files could not create its IPC objects"
    assert (rep.get("seen_sysv"), rep.get("seen_key")) == ("0", "no"), f"plant_check found them: {rep}"
    assert not o.sysv, f"System V objects left after the batch: {o.sysv}"


# Found here (fixed): at 'seccomp' a submission could SIGKILL the zygote and the next request became a
# "grader error"; the zygote client now replaces a dead zygote and sends the request once more.
def test_killing_the_zygote_is_not_a_grader_error_at_seccomp(graded):
    o = graded("kill", "seccomp")
    bad = {n: r["message"][:200] for n, r in o.ok().results.items() if r["status"] == "grader error"}
    assert not bad, f"grader error: {bad}"
    n = o.r(NEIGHBOUR)
    assert n["score"] == n["max_score"], o.say()
