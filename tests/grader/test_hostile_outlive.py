"""Hostile submissions at namespaces+seccomp: what outlives a submission (files, IPC, /tmp and
/dev/shm filled, a daemon, the batch folder and the CLI's outputs).

Part of the split of test_hostile.py (the design of these tests: the docstring of
tests/grader/_hostile_run.py; the machinery: _hostile_run.py, _hostile_user.py, _hostile_checks.py).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import pytest

from tests.grader._hostile_checks import BOTH, check_batch, grade_one
from tests.grader._hostile_run import _env, _PROBLEM, Batch, CLI, LEVEL, neighbour_source, parse_report
from tests.grader._hostile_user import Env
from tests.grader._hostile_user import mode, realuser  # noqa: F401  fixtures
from tests.grader._hostile_checks import env  # noqa: F401  fixtures

pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or "")


# --------------------------------------------------------------------------
# what outlives a submission
# --------------------------------------------------------------------------

@BOTH
def test_files_and_ipc_do_not_survive_into_a_later_submission(env):
    b = grade_one(env, "plant_files")
    left = env.leftovers.all()
    # a later batch (slot 2 of 2: another private uid as root, the same uid as a normal user)
    # tries to use what was planted
    check = env.put_hostile("plant_check")
    n = str(env.batch / "zz_neighbour.py")
    b2 = env.grade([n, check], check, n)
    rep = b2.report
    used = {k: rep.get(k) for k in ("seen_files", "seen_sysv", "seen_key", "setuid_gained")}
    assert used == {"seen_files": "0", "seen_sysv": "0", "seen_key": "no", "setuid_gained": "no"}, \
        f"a later submission found what plant_files left: {used}\nleft: {left}\n{b.say()}"
    assert not left, "plant_files left:\n" + "\n".join(left) + f"\n{b.say()}"
    check_batch(b, env)
    check_batch(b2, env)


@BOTH
def test_filling_tmp_and_shm_leaves_nothing(env):
    b = grade_one(env, "fill_tmp", import_timeout=20.0)
    check_batch(b, env)


def _cli(env: Env, stem: str, *, jobs: int, wait_after: float) -> tuple[dict, dict, dict, dict, float]:
    """``formulacheck grade DIR --out grades.csv --json-dir D`` on [hostile, classmate]; the outputs
    right after the run and again ``wait_after`` s later (a daemon's time to act)."""
    if not (env.batch / f"{stem}.py").exists():
        env.put_hostile(stem)
        env.put("zz_neighbour.py", neighbour_source())
    out_dir = env.work / "out"
    out_dir.mkdir()
    if env.realuid is not None:
        os.chown(out_dir, env.realuid, env.realuid)
    csv_path, json_dir = out_dir / "grades.csv", out_dir / "json"
    rubric = env.work / "rubric.toml"
    rubric.write_text("[limits]\ntimeout = 3.0\nimport_timeout = 5.0\n[examples]\ndefault = 5\n")
    exe = [sys.executable, "-c", CLI]
    argv = [*exe, "grade", str(env.batch), "--out", str(csv_path), "--json-dir", str(json_dir), "--jobs", str(jobs),
            "--group", "activations", "--rubric", str(rubric)]
    helptext = subprocess.run([*exe, "grade", "--help"], capture_output=True, text=True, env=_env()).stdout
    supports = "--isolation" in helptext
    if supports:
        argv += ["--isolation", LEVEL]
    rc, out, secs = env.run(argv, 60.0, str(env.work))
    if rc != 0 and "refusing to grade at isolation level" in out:
        pytest.skip(f"the grader cannot give the {LEVEL!r} level here: {out.strip()[-300:]}")
    assert rc == 0, f"the CLI failed (exit {rc}):\n{out[-3000:]}"

    def read():
        rows = {r["submission"]: r for r in csv.DictReader(open(csv_path))}
        js = {p.name: p.read_text() for p in sorted(json_dir.iterdir())}
        return rows, js

    first = read()
    time.sleep(wait_after)
    second = read()
    return first[0], first[1], second[0], second[1], supports


def _batch_from_cli(rows: dict, js: dict, stem: str, supports: bool) -> Batch:
    def res(name):
        data = json.loads(js[name[:-3] + ".json"])
        row = rows[name]
        return {"name": name, "status": row["status"], "message": row.get("message", ""), "score": float(row["total"]),
                "max_score": float(row["max_total"]), "output": data.get("output", ""),
                # the CLI asked for the level (--isolation) and refuses to grade below it
                "isolation": (data.get("extra_data") or {}).get("isolation") or row.get("isolation")
                             or (LEVEL if supports else None),
                "resources": (data.get("extra_data") or {}).get("resources"),
                "tests": [{"id": t["name"], "score": t["score"], "max_score": t["max_score"],
                           "verdict": t["status"], "reason": "", "feedback": t.get("output", "")} for t in data["tests"]]}

    h, n = res(f"{stem}.py"), res("zz_neighbour.py")
    return Batch({h["name"]: h, n["name"]: n}, h, n, 0.0, 0, supports, parse_report(h["output"]))


@BOTH
def test_a_daemon_cannot_rewrite_results_or_kill_the_next_submission(env):
    """--jobs 1: the classmate is the NEXT submission of the daemon's job slot; outputs re-read 3 s later."""
    rows, js, rows2, js2, supports = _cli(env, "daemon_rewrite", jobs=1, wait_after=3.0)
    assert (rows2, js2) == (rows, js), "the outputs changed after the batch (a daemon rewrote them)"
    b = _batch_from_cli(rows, js, "daemon_rewrite", supports)
    check_batch(b, env)


@BOTH
def test_the_batch_files_and_outputs_cannot_be_tampered_with(env):
    env.put_hostile("tamper_files")
    env.put("zz_neighbour.py", neighbour_source())
    before = {p.name: p.read_bytes() for p in env.batch.iterdir()}
    rows, js, _, _, supports = _cli(env, "tamper_files", jobs=2, wait_after=0.0)
    after = {p.name: p.read_bytes() for p in env.batch.iterdir()}
    assert after == before, f"the batch folder changed: {sorted(set(after) ^ set(before)) or [k for k in after if after[k] != before.get(k)]}"
    assert all("FAKE" not in t for t in js.values()) and set(js) == {"tamper_files.json", "zz_neighbour.json"}, sorted(js)
    b = _batch_from_cli(rows, js, "tamper_files", supports)
    check_batch(b, env)
