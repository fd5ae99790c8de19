"""The grader (`formulacheck grade`): grades, verdicts, isolation, outputs.

Sample submissions live in tests/submissions/. Example counts are small (a
rubric override) so the whole file runs in about a minute on 2 cores; the
grading logic is the same as with the `grade` profile's 100 examples.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from checks import registry
from checks.cli import main as cli_main
from checks.grader import refsub, report
from checks.grader.grade import Grader, SubmissionResult
from checks.grader.rubric import Limits, Rubric
from checks.grader import sandbox as gsandbox
from checks.worker import common as gserve

SUBS = Path(__file__).parent.parent / "submissions"
TEMPLATE = Path(__file__).parent.parent.parent / "student" / "template.py"
SMALL_GROUPS = ("activations", "reductions", "softmax", "conv", "hsoftmax")
# formulas whose wrong versions the tests grade: enough examples to reach their hard regimes
WRONG = {"wrong_softmax.py": "softmax.softmax", "wrong_sigmoid_backward.py": "activations.sigmoid_backward",
         "wrong_max_backward.py": "reductions.max_backward"}


def _ids(groups):
    return [f.id for f in registry.all_formulas() if f.group in groups]


def _by_id(res: SubmissionResult) -> dict:
    return {t.id: t for t in res.tests}


def _write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


@pytest.fixture(scope="module")
def full_grader():
    """Every formula id of the registry, 3 examples each (30 for the ones the wrong submissions break)."""
    rub = replace(Rubric(), examples_default=3, examples={fid: 30 for fid in WRONG.values()},
                  limits=replace(Limits(), timeout=30.0, import_timeout=30.0))
    with Grader(rub) as g:
        yield g


@pytest.fixture(scope="module")
def small_grader():
    """A few groups, 20 examples, 1 s per formula: for hostile and odd submissions."""
    rub = replace(Rubric(), examples_default=20, limits=replace(Limits(), timeout=1.0, import_timeout=5.0))
    with Grader(rub, ids=_ids(SMALL_GROUPS)) as g:
        yield g


@pytest.fixture(scope="module")
def reference_source() -> str:
    return refsub.build()


# --------------------------------------------------------------------------
# the acceptance criteria
# --------------------------------------------------------------------------

def test_reference_as_a_submission_gets_full_marks(full_grader, reference_source, tmp_path):
    res = full_grader.grade_file(_write(tmp_path, "ref_submission.py", reference_source))
    failed = {t.id: t.feedback for t in res.tests if not t.passed}
    assert res.status == "ok", res.message
    assert not failed, failed
    assert [t.id for t in res.tests] == [f.id for f in registry.all_formulas()]
    assert res.score == res.max_score == sum(f.points for f in registry.all_formulas())


def test_template_grades_to_zero_not_implemented_everywhere(full_grader):
    res = full_grader.grade_file(str(TEMPLATE))
    assert res.status == "ok"
    assert res.score == 0
    assert {t.verdict for t in res.tests} == {"not implemented"}
    assert len(res.tests) == len(registry.all_formulas())


@pytest.mark.parametrize("name, fid", sorted(WRONG.items()))
def test_a_wrong_function_loses_exactly_its_points(full_grader, reference_source, tmp_path, name, fid):
    src = reference_source + "\n\n" + (SUBS / name).read_text()
    res = full_grader.grade_file(_write(tmp_path, name, src))
    failed = [t.id for t in res.tests if not t.passed]
    assert failed == [fid], {t.id: t.reason for t in res.tests if not t.passed}
    assert res.score == res.max_score - registry.get(fid).points
    t = _by_id(res)[fid]
    assert t.score == 0 and t.verdict in ("mismatch", "nan/inf", "property violated")
    fn = registry.get(fid).fn_name
    assert "Smallest failing input:" in t.feedback and f"{fn}(" in t.feedback, t.feedback
    assert "Expected:" in t.feedback and "Got:" in t.feedback, t.feedback


def test_differently_written_correct_functions_get_full_marks(small_grader):
    res = small_grader.grade_file(str(SUBS / "alt_correct.py"))
    defined = {"sigmoid", "relu_backward", "leaky_relu_backward", "max_backward", "softmax", "cross_entropy",
               "conv1x1", "huffman_codes"}
    assert res.status == "ok"
    for t in res.tests:
        if registry.get(t.id).fn_name in defined:
            assert t.passed, t.feedback
        else:
            assert t.verdict == "not implemented"


def test_grading_is_deterministic(small_grader, tmp_path):
    """Same file twice, and a fresh grader (new batch): identical results but for execution_time."""
    src = (SUBS / "bad_results.py").read_text() + "\n" + (SUBS / "wrong_softmax.py").read_text()
    p = _write(tmp_path, "det.py", src)

    def strip(r):
        d = report.results_json(r)
        d.pop("execution_time")
        return d

    a = strip(small_grader.grade_file(p))
    b = strip(small_grader.grade_file(p))
    assert a == b
    with Grader(small_grader.rubric, ids=_ids(("softmax",))) as g2:
        c = strip(g2.grade_file(p))
    sm = {t["name"]: t for t in a["tests"]}
    assert [t for t in c["tests"]] == [sm[t["name"]] for t in c["tests"]]


# --------------------------------------------------------------------------
# hostile submissions
# --------------------------------------------------------------------------

def test_sys_exit_at_import(small_grader):
    res = small_grader.grade_file(str(SUBS / "hostile_exit_at_import.py"))
    assert res.status == "import error" and "sys.exit(3)" in res.message
    assert res.score == 0 and all(t.score == 0 for t in res.tests)


def test_os_exit_at_import(small_grader):
    res = small_grader.grade_file(str(SUBS / "hostile_os_exit_at_import.py"))
    assert res.status == "import crashed" and "exited with code 0" in res.message
    assert {t.verdict for t in res.tests} == {"crashed"}


def test_exception_at_import(small_grader):
    res = small_grader.grade_file(str(SUBS / "hostile_raise_at_import.py"))
    assert res.status == "import error"
    assert "FileNotFoundError" in res.message and "line 3" in res.message


def test_syntax_error(small_grader):
    res = small_grader.grade_file(str(SUBS / "bad_syntax.py"))
    assert res.status == "syntax error" and "line 4" in res.message and res.score == 0


def test_runtime_hostility_fails_only_its_own_formula(small_grader):
    """Infinite loop, 20 GB, os._exit, segfault, sys.exit, in-place: each its verdict; softmax still passes."""
    res = small_grader.grade_file(str(SUBS / "hostile_runtime.py"))
    v = {k: t.verdict for k, t in _by_id(res).items()}
    assert res.status == "ok"
    assert v["softmax.softmax"] == "passed"
    assert v["activations.sigmoid"] == "timed out"
    assert v["activations.sigmoid_backward"] == "raised an exception"
    assert "MemoryError" in _by_id(res)["activations.sigmoid_backward"].reason
    assert v["activations.tanh_backward"] == "crashed"
    assert "code 7" in _by_id(res)["activations.tanh_backward"].reason
    assert v["activations.relu_backward"] == "crashed"
    assert "signal 11" in _by_id(res)["activations.relu_backward"].reason
    assert v["activations.leaky_relu_backward"] == "raised an exception"
    assert "sys.exit(2)" in _by_id(res)["activations.leaky_relu_backward"].reason
    assert v["softmax.cross_entropy_backward"] == "modified its arguments"
    assert res.score == registry.get("softmax.softmax").points


def _sleepers(mark: bytes = b"1000.4242") -> list[str]:
    """Live processes whose command line holds ``mark`` (the hostile submissions' `sleep`s)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as fh:
                    if mark in fh.read():
                        out.append(d)
            except OSError:
                pass
    return out


def test_child_processes_are_limited_and_killed(small_grader):
    res = small_grader.grade_file(str(SUBS / "hostile_fork.py"))
    assert res.status == "ok"
    assert _by_id(res)["softmax.softmax"].passed
    assert _sleepers() == []


def test_a_daemon_that_leaves_the_process_group_is_killed(small_grader):
    """hostile_daemon.py: double fork + setsid(); nothing of it survives the submission."""
    res = small_grader.grade_file(str(SUBS / "hostile_daemon.py"))
    assert res.status == "ok" and _by_id(res)["softmax.softmax"].passed
    assert _sleepers(b"1000.4343") == []


@pytest.mark.skipif(os.geteuid() != 0, reason="a private uid (and its RLIMIT_NPROC) needs root")
def test_processes_of_one_submission_do_not_count_against_the_next(small_grader):
    """The fork bomb's killed children are reaped at once (the zygote is a subreaper): on the same
    private uid, the next submission in that slot can still fork (its RLIMIT_NPROC is not used up by zombies)."""
    small_grader._ensure()
    assert small_grader.jobs == 1  # one slot: one uid for both submissions
    assert small_grader.grade_file(str(SUBS / "hostile_fork.py")).status == "ok"
    res = small_grader.grade_file(str(SUBS / "hostile_daemon.py"))
    assert _by_id(res)["softmax.softmax"].passed, _by_id(res)["softmax.softmax"].feedback
    assert _sleepers() == [] and _sleepers(b"1000.4343") == []


def test_huge_output_is_capped(small_grader):
    res = small_grader.grade_file(str(SUBS / "hostile_print.py"))
    assert res.status == "ok" and _by_id(res)["softmax.softmax"].passed
    cap = small_grader.rubric.limits.max_output_kb * 1024
    assert res.output.startswith("xxxx") and "output truncated" in res.output
    assert len(res.output) < cap + 200


@pytest.mark.parametrize("name, needle", [
    ("hostile_forbidden_import.py", "'torch'"),
    ("hostile_dynamic_import.py", "'torch'"),
    ("hostile_import_reference.py", "'reference'"),
])
def test_forbidden_imports_score_zero(small_grader, name, needle):
    res = small_grader.grade_file(str(SUBS / name))
    assert res.status == "policy violation" and needle in res.message
    assert res.score == 0 and {t.verdict for t in res.tests} == {"policy violation"}


def test_monkeypatching_numpy_changes_nothing(small_grader):
    res = small_grader.grade_file(str(SUBS / "hostile_monkeypatch.py"))
    t = _by_id(res)
    assert t["activations.sigmoid"].verdict == "mismatch"
    assert t["activations.relu_backward"].verdict == "modified its arguments"
    assert t["softmax.softmax"].passed


def test_malformed_results(small_grader):
    res = small_grader.grade_file(str(SUBS / "bad_results.py"))
    t = _by_id(res)
    assert t["activations.sigmoid"].verdict == "wrong shape or type" and "got list" in t["activations.sigmoid"].reason
    assert t["softmax.softmax"].verdict == "nan/inf"
    assert "float32" in t["activations.sigmoid_backward"].reason
    assert t["activations.tanh_backward"].verdict == "wrong shape or type" and "set" in t["activations.tanh_backward"].reason
    assert t["activations.relu_backward"].verdict == "wrong shape or type"
    assert t["softmax.cross_entropy"].verdict == "wrong shape or type"
    assert "Smallest failing input:" in t["softmax.softmax"].feedback


def test_fake_output_files_are_ignored(tmp_path, monkeypatch):
    """The submission writes results.json / grades.csv into its cwd and the parent: the grader's files win."""
    sub = tmp_path / "subs"
    sub.mkdir()
    shutil.copy(SUBS / "hostile_fake_outputs.py", sub / "fake.py")
    shutil.copy(SUBS / "wrong_softmax.py", sub / "other.py")
    monkeypatch.chdir(tmp_path)
    rc = cli_main(["grade", str(sub / "fake.py"), "--json", "results.json", "--group", "softmax"])
    assert rc == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert "FAKE" not in json.dumps(data) and data["score"] == registry.get("softmax.softmax").points
    rc = cli_main(["grade", str(sub), "--out", "grades.csv", "--group", "softmax"])
    assert rc == 0
    text = (tmp_path / "grades.csv").read_text()
    assert "FAKE" not in text
    assert sorted(os.listdir(tmp_path)) == ["grades.csv", "results.json", "subs"]
    assert sorted(os.listdir(sub)) == ["fake.py", "other.py"]


# --------------------------------------------------------------------------
# isolation of the worker
# --------------------------------------------------------------------------

def test_worker_never_loads_torch_sympy_or_hypothesis(small_grader, tmp_path):
    small_grader._ensure()
    heavy = {"torch", "sympy", "hypothesis"}
    assert not heavy & set(small_grader._zygote.modules)
    sb = small_grader._slots.get()
    try:
        assert sb.open("import numpy as np\n", "probe.py", []).ok
        info = sb.probe()["runner"]
        assert not heavy & set(info["modules"])
        assert not {"checks", "reference"} & set(info["modules"])
        if os.geteuid() == 0:  # root drops to a private uid
            assert info["uid"] != 0
        assert info["cwd"] == "/tmp" if sb.namespaces else os.path.basename(info["cwd"]).startswith("sub-")
    finally:
        sb.close_submission()
        small_grader._slots.put(sb)


def test_a_grader_failure_is_one_submissions_status(small_grader, monkeypatch, tmp_path):
    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(Grader, "_run_formula", boom)
    res = small_grader.grade_file(str(SUBS / "alt_correct.py"))
    assert res.status == "grader error" and "simulated bug" in res.message and res.score == 0
    monkeypatch.undo()
    assert small_grader.grade_file(str(SUBS / "alt_correct.py")).status == "ok"


# --------------------------------------------------------------------------
# command line and outputs
# --------------------------------------------------------------------------

def test_cli_single_file_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    rc = cli_main(["grade", str(SUBS / "alt_correct.py"), "--json", str(out), "--group", "softmax,hsoftmax",
                   "--timeout", "5"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "softmax.softmax" in text and "Total:" in text
    data = json.loads(out.read_text())
    assert set(data) == {"score", "execution_time", "output", "output_format", "test_output_format", "visibility",
                         "stdout_visibility", "extra_data", "tests"}
    assert data["extra_data"]["isolation"] in ("namespaces+seccomp", "namespaces", "seccomp+uid", "uid", "seccomp",
                                               "none")
    ids = _ids(("softmax", "hsoftmax"))
    assert [t["name"] for t in data["tests"]] == ids
    for t in data["tests"]:
        assert set(t) == {"name", "score", "max_score", "status", "output", "output_format", "visibility", "extra_data"}
        assert t["status"] in ("passed", "failed")
    st = {t["name"]: t["status"] for t in data["tests"]}
    assert st["softmax.softmax"] == "passed" and st["softmax.softmax_jacobian"] == "failed"
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_cli_batch_csv_and_json_dir(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("alt_correct.py", "bad_syntax.py", "hostile_exit_at_import.py", "hostile_forbidden_import.py"):
        shutil.copy(SUBS / name, d / name)
    jd = tmp_path / "json"
    jd.mkdir()
    rc = cli_main(["grade", str(d), "--out", str(tmp_path / "grades.csv"), "--json-dir", str(jd), "--jobs", "2",
                   "--group", "softmax"])
    assert rc == 0
    rows = list(csv.DictReader(open(tmp_path / "grades.csv")))
    ids = _ids(("softmax",))
    assert [r["submission"] for r in rows] == sorted(os.listdir(d))
    assert set(ids) <= set(rows[0]) and {"status", "total"} <= set(rows[0])
    status = {r["submission"]: r["status"] for r in rows}
    assert status == {"alt_correct.py": "ok", "bad_syntax.py": "syntax error",
                      "hostile_exit_at_import.py": "import error", "hostile_forbidden_import.py": "policy violation"}
    alt = next(r for r in rows if r["submission"] == "alt_correct.py")
    assert float(alt["softmax.softmax"]) == registry.get("softmax.softmax").points
    assert float(alt["total"]) == sum(float(alt[i]) for i in ids)
    assert sorted(os.listdir(jd)) == sorted(n[:-3] + ".json" for n in os.listdir(d))


@pytest.mark.parametrize("argv, needle", [
    (["grade"], "give a submission"),
    (["grade", "no/such/file.py"], "no such file"),
    (["grade", str(SUBS / "alt_correct.py"), str(SUBS / "bad_syntax.py"), "--json", "r.json"], "--json-dir"),
    (["grade", str(SUBS / "alt_correct.py"), "--jobs", "0"], "--jobs"),
    (["grade", str(SUBS / "alt_correct.py"), "--json", "/no/such/dir/r.json"], "does not exist"),
])
def test_cli_bad_input_exits_2(argv, needle, capsys):
    assert cli_main(argv) == 2
    assert needle in capsys.readouterr().err


def test_write_reference(tmp_path):
    p = tmp_path / "ref.py"
    assert cli_main(["grade", "--write-reference", str(p)]) == 0
    src = p.read_text()
    from checks.grader.policy import Policy, scan

    assert scan(src, Policy()).violations == [] and scan(src, Policy()).syntax_error is None
    for f in registry.all_formulas():
        assert f"def {f.fn_name}(" in src, f.id


# --------------------------------------------------------------------------
# the normal-user path (no private uid), exercised as far as root allows
#
# A grader that is not root runs workers under its own uid. drop_privileges=False
# forces that path for root too (CI runs as root); what root cannot show (the
# kernel enforcing RLIMIT_NPROC, permission errors) is checked by hand as a
# normal user: docs/grading.md, "Running as a normal user".
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nodrop_grader():
    """Like small_grader, without privilege drop, 2 job slots in this process (submissions graded in parallel threads)."""
    rub = replace(Rubric(), examples_default=20, limits=replace(Limits(), timeout=2.0, import_timeout=5.0))
    with Grader(rub, ids=_ids(SMALL_GROUPS), jobs=2, drop_privileges=False, processes=False) as g:
        yield g


def test_nonroot_worker_keeps_the_uid_with_a_relative_nproc_limit(nodrop_grader):
    nodrop_grader._ensure()
    sb = nodrop_grader._slots.get()
    try:
        assert sb.uid is None and sb._uid_lock is None
        assert sb.open("import numpy as np\n", "probe.py", []).ok
        info = sb.probe()["runner"]
        assert info["uid"] == os.getuid()
        assert info["pgid"] == info["sid"]  # its own session and process group
        soft, hard = info["nproc"]
        # what the uid already runs + max_processes: never the bare 16 (that would starve the grader's uid)
        assert soft == hard and soft > nodrop_grader.rubric.limits.max_processes
        assert info["tmpdir"] == info["home"] == info["cwd"] and info["umask"] == 0o077
        if sb.namespaces:
            assert info["cwd"] == "/tmp"  # the sandbox's private tmpfs
        else:
            assert os.path.basename(info["cwd"]).startswith("sub-")
    finally:
        sb.close_submission()
        nodrop_grader._slots.put(sb)


def test_nproc_limit_is_relative_to_the_uids_tasks():
    assert gserve.count_tasks(os.getuid()) >= 1  # this process at least (threads counted)
    assert gserve.count_tasks(64999) == 0


def test_nonroot_children_and_daemons_are_killed(nodrop_grader):
    """Forked children (same process group) and a setsid() daemon: all gone after each submission.

    (As root RLIMIT_NPROC is not enforced, so the 200 forks may make softmax time out here;
    as a normal user the kernel stops them at the limit: see docs/grading.md.)"""
    res = nodrop_grader.grade_file(str(SUBS / "hostile_fork.py"))
    assert res.status == "ok" and _by_id(res)["softmax.softmax"].verdict in ("passed", "timed out")
    assert _sleepers() == []
    res = nodrop_grader.grade_file(str(SUBS / "hostile_daemon.py"))
    assert res.status == "ok" and _by_id(res)["softmax.softmax"].passed
    assert _sleepers(b"1000.4343") == []


def test_nonroot_hostile_runtime_and_parallel_workers(nodrop_grader):
    """2 slots in parallel: the hostile ones get their verdicts, killing their leftovers never hits
    the other live worker, and the correct ones pass."""
    paths = [str(SUBS / n) for n in ("hostile_runtime.py", "alt_correct.py", "hostile_daemon.py", "alt_correct.py",
                                     "hostile_print.py")]
    rs = nodrop_grader.grade_many(paths)
    v = {k: t.verdict for k, t in _by_id(rs[0]).items()}
    assert v["activations.sigmoid"] == "timed out" and v["activations.tanh_backward"] == "crashed"
    assert v["activations.relu_backward"] == "crashed" and "signal 11" in _by_id(rs[0])["activations.relu_backward"].reason
    assert v["softmax.cross_entropy_backward"] == "modified its arguments" and v["softmax.softmax"] == "passed"
    for r in (rs[1], rs[3]):
        assert r.status == "ok"
        assert _by_id(r)["softmax.softmax"].passed and _by_id(r)["conv.conv1x1"].passed
        assert _by_id(r)["hsoftmax.huffman_codes"].passed
    assert _by_id(rs[2])["softmax.softmax"].passed
    cap = nodrop_grader.rubric.limits.max_output_kb * 1024
    assert "output truncated" in rs[4].output and len(rs[4].output) < cap + 200
    assert _sleepers(b"1000.4343") == []


def test_the_zygote_kills_everything_when_the_grader_hangs_up(tmp_path):
    """A live worker and its daemon die with the zygote (here: without namespaces or private uids)."""
    z = gsandbox.Zygote()
    sb = gsandbox.Sandbox(z, Limits(), Rubric().policy, str(tmp_path), 1, drop_privileges=False, level="none")
    src = (SUBS / "hostile_daemon.py").read_text() + "\n_daemon()\n"
    try:
        assert sb.open(src, "daemon.py", ["softmax"]).ok
        for _ in range(500):  # the daemon exec()s `sleep` on its own time
            if _sleepers(b"1000.4343"):
                break
            time.sleep(0.01)
        assert len(_sleepers(b"1000.4343")) == 1
        pid = sb.pid
        z.close()  # the grader goes away without killing its worker
        for _ in range(300):
            if not _sleepers(b"1000.4343"):
                break
            time.sleep(0.01)
        assert _sleepers(b"1000.4343") == []
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        sb.pid, sb._sub, sb.conn = None, None, None
        sb.close()


def test_drop_needs_root(monkeypatch):
    monkeypatch.setattr(gsandbox, "can_drop_privileges", lambda: False)
    assert gsandbox.resolve_drop(None) is False
    with pytest.raises(gsandbox.SandboxError, match="needs root"):
        Grader(Rubric(), ids=["softmax.softmax"], drop_privileges=True)
