"""The disk cache of the grader's batch preparation (checks/grader/cache.py).

Every test uses its own cache directory ($FORMULACHECK_CACHE_DIR), a few
formula ids and 3 examples each: Hypothesis draws are counted by wrapping
``checks.grader.grade.draw_cases``, so "came from the cache" is a counter,
not a timing.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from checks import registry
from checks.core.case import same as args_equal
from checks.cli import main as cli_main
from checks.grader import cache as gcache
from checks.grader import grade as ggrade
from checks.grader import refsub, report
from checks.grader.grade import Grader
from checks.grader.rubric import Limits, Rubric

SUBS = Path(__file__).parent / "submissions"
# softmax: value + property oracles, SymPy's own strategy; nag_step: checks.core.gradfns objects in the cases
IDS = [f.id for f in registry.all_formulas() if f.group == "softmax"] + ["optim.nag_step"]
# softmax.softmax: 30, enough to reach the regime tests/submissions/wrong_softmax.py gets wrong
RUBRIC = replace(Rubric(), examples_default=3, examples={"softmax.softmax": 30}, limits=replace(Limits(), timeout=30.0, import_timeout=30.0))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "fc-cache"
    monkeypatch.setenv(gcache.ENV, str(d))
    return d


@pytest.fixture
def draws(monkeypatch) -> list:
    """The formula ids for which Hypothesis drew grading cases (one entry per draw_cases call)."""
    calls: list[str] = []
    real = ggrade.draw_cases

    def counting(formula, oracle, n, profile):
        calls.append(formula.id)
        return real(formula, oracle, n, profile)

    monkeypatch.setattr(ggrade, "draw_cases", counting)
    return calls


def _prepare(rubric=RUBRIC, ids=IDS, **kw) -> Grader:
    g = Grader(rubric, ids=ids, **kw)
    g.prepare_batch()  # no worker needed to test the preparation
    return g


def _same_prepared(a, b) -> None:
    assert [p.formula.id for p in a] == [p.formula.id for p in b]
    for pa, pb in zip(a, b):
        assert pa.error is None and pb.error is None
        assert pa.examples == pb.examples and pa.points == pb.points
        assert pa.blobs == pb.blobs
        assert len(pa.cases) == len(pb.cases) > 0
        for ca, cb in zip(pa.cases, pb.cases):
            assert args_equal(ca.args, cb.args) and args_equal(ca.kwargs, cb.kwargs)
        assert [(o.name, i) for o, i, _ in pa.plan] == [(o.name, i) for o, i, _ in pb.plan]
        for (oa, _, ea), (ob, _, eb) in zip(pa.plan, pb.plan):
            assert oa is ob  # mapped back to the formula's own Oracle objects
            assert args_equal(ea, eb), (pa.formula.id, oa.name)


def _strip(res) -> dict:
    d = report.results_json(res)
    d.pop("execution_time")
    return d


# --------------------------------------------------------------------------

def test_second_run_comes_from_the_cache_and_grades_identically(cache_dir, draws, tmp_path):
    g1 = _prepare()
    assert g1.cache_hits == 0 and g1.cache_path == str(cache_dir)
    assert sorted(set(draws)) == sorted(IDS)
    assert (os.stat(cache_dir).st_mode & 0o777) == 0o700
    assert sorted(os.listdir(cache_dir)) == sorted(f"{i}.pkl" for i in IDS)
    for name in os.listdir(cache_dir):
        assert (os.stat(cache_dir / name).st_mode & 0o777) == 0o600
    draws.clear()

    sub = tmp_path / "sub.py"  # the reference with a wrong softmax: a passing, a failing (shrunk) formula...
    sub.write_text(refsub.build() + "\n\n" + (SUBS / "wrong_softmax.py").read_text())
    with Grader(RUBRIC, ids=IDS) as g2:
        cached = _strip(g2.grade_file(str(sub)))
        assert g2.cache_hits == len(IDS)
        assert draws == []  # no Hypothesis draw at all in the preparation
        _same_prepared(g1.prepared, g2.prepared)
    with Grader(RUBRIC, ids=IDS, cache=False) as g3:
        fresh = _strip(g3.grade_file(str(sub)))
        assert g3.cache_hits == 0 and g3.cache_path is None
    assert cached == fresh
    st = {t["name"]: t["status"] for t in cached["tests"]}
    assert st["softmax.softmax"] == "failed" and st["optim.nag_step"] == "passed"
    assert cached["score"] == sum(registry.get(i).points for i in IDS) - registry.get("softmax.softmax").points


def test_corrupt_files_are_ignored_and_rewritten(cache_dir, draws):
    g1 = _prepare()
    a, b, c, d = IDS[:4]
    f = {i: cache_dir / f"{i}.pkl" for i in IDS}
    data = f[a].read_bytes()
    f[a].write_bytes(data[: len(data) // 2])                        # truncated
    flipped = bytearray(f[b].read_bytes())
    flipped[-10] ^= 0xFF
    f[b].write_bytes(bytes(flipped))                                # one payload byte changed
    f[c].write_bytes(b"\x80\x04garbage, not even a header")        # garbage
    head, _, payload = f[d].read_bytes().partition(b"\n")           # a valid checksum, but another key
    parts = head.split(b" ")
    parts[2] = b"0" * 64
    f[d].write_bytes(b" ".join(parts) + b"\n" + payload)
    draws.clear()
    g2 = _prepare()
    assert sorted(set(draws)) == sorted([a, b, c, d])
    assert g2.cache_hits == len(IDS) - 4
    _same_prepared(g1.prepared, g2.prepared)
    draws.clear()
    g3 = _prepare()  # rewritten: everything from the cache now
    assert draws == [] and g3.cache_hits == len(IDS)


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_a_forged_file_is_never_unpickled(cache_dir, draws, tmp_path):
    """Only a header matching the key AND the payload's checksum lets pickle run."""
    import hashlib

    _prepare(ids=IDS[:2])
    f0, f1 = (registry.get(i) for i in IDS[:2])
    store = gcache.Cache.open()
    key0 = store.key(f0, "grade", RUBRIC.examples_for(f0, "grade"), ggrade.GRADE_SEED)
    store.close()
    evil = pickle.dumps(_Evil(str(tmp_path / "pwned")))
    good_sum = hashlib.sha256(evil).hexdigest().encode()
    # the right key, a wrong checksum
    (cache_dir / f"{IDS[0]}.pkl").write_bytes(b" ".join([gcache.MAGIC, b"1", key0.encode(), str(len(evil)).encode(),
                                                         b"0" * 64]) + b"\n" + evil)
    # the right checksum, a wrong key
    (cache_dir / f"{IDS[1]}.pkl").write_bytes(b" ".join([gcache.MAGIC, b"1", b"f" * 64, str(len(evil)).encode(),
                                                         good_sum]) + b"\n" + evil)
    draws.clear()
    g = _prepare(ids=IDS[:2])
    assert not (tmp_path / "pwned").exists()
    assert g.cache_hits == 0 and sorted(set(draws)) == sorted(IDS[:2])
    assert _prepare(ids=IDS[:2]).cache_hits == 2  # rewritten


def test_a_changed_example_count_misses_only_that_formula(cache_dir, draws):
    _prepare()
    draws.clear()
    g = _prepare(replace(RUBRIC, examples={**RUBRIC.examples, "softmax.cross_entropy": 4}))
    assert set(draws) == {"softmax.cross_entropy"}
    assert g.cache_hits == len(IDS) - 1
    draws.clear()
    g = _prepare(replace(RUBRIC, examples_default=5))  # softmax.softmax keeps its exact count: a hit
    assert set(draws) == set(IDS) - {"softmax.softmax"} and g.cache_hits == 1


def test_the_profile_and_the_seed_are_part_of_the_key(cache_dir, draws, monkeypatch):
    rub = replace(Rubric(), examples={i: 3 for i in IDS})  # same counts whatever the profile
    _prepare(rub, profile="grade")
    draws.clear()
    assert _prepare(rub, profile="dev").cache_hits == 0
    draws.clear()
    monkeypatch.setattr(ggrade, "GRADE_SEED", ggrade.GRADE_SEED + 1)
    assert _prepare(rub, profile="dev").cache_hits == 0


def test_the_key_covers_code_versions_and_oracles(monkeypatch):
    f = registry.get("softmax.softmax")
    k = gcache.formula_key("base", f, "grade", 3, 1)
    assert k != gcache.formula_key("base2", f, "grade", 3, 1)
    assert k != gcache.formula_key("base", f, "dev", 3, 1)
    assert k != gcache.formula_key("base", f, "grade", 4, 1)
    assert k != gcache.formula_key("base", f, "grade", 3, 2)
    assert k != gcache.formula_key("base", replace(f, oracles=f.oracles[:-1]), "grade", 3, 1)
    assert k != gcache.formula_key("base", registry.get("softmax.cross_entropy"), "grade", 3, 1)
    env = gcache.environment()
    assert {"python", "numpy", "hypothesis", "torch", "sympy"} <= set(env)
    assert "absent" not in (env["numpy"], env["hypothesis"], env["torch"], env["sympy"])
    assert len(gcache.code_digest()) == 64


def test_a_changed_source_file_changes_every_key(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    monkeypatch.setattr(gcache, "_package_dirs", lambda: [("checks", str(pkg))])
    d1 = gcache.code_digest()
    (pkg / "sub" / "b.py").write_text("y = 3\n")
    d2 = gcache.code_digest()
    (pkg / "sub" / "c.py").write_text("")
    d3 = gcache.code_digest()
    (pkg / "notes.txt").write_text("not code")
    assert len({d1, d2, d3}) == 3 and gcache.code_digest() == d3


def test_a_missing_oracle_is_a_miss(cache_dir, draws, monkeypatch):
    f = registry.get("softmax.softmax")
    store = gcache.Cache.open()
    try:
        p = ggrade.prepare(f, RUBRIC, "grade")
        key = store.key(f, "grade", p.examples, ggrade.GRADE_SEED)
        assert store.save(f, key, gcache.Entry(p.cases, p.blobs, p.plan))
        assert store.load(f, key) is not None
        renamed = replace(f, oracles=(replace(f.oracles[0], name="gone"),) + f.oracles[1:])
        assert store.load(renamed, key) is None  # same key forced: the stored name "torch" is not an oracle of it
    finally:
        store.close()


def test_harness_errors_are_never_cached(cache_dir, draws, monkeypatch):
    def broken(formula, oracle, case):
        raise ggrade.engine.HarnessError("simulated oracle bug")

    monkeypatch.setattr(ggrade.engine, "expected_for", broken)
    g = _prepare(ids=IDS[:1])
    assert g.prepared[0].error and "simulated oracle bug" in g.prepared[0].error
    assert os.listdir(cache_dir) == []


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o757])
def test_a_group_or_world_writable_cache_dir_is_ignored(cache_dir, draws, capsys, mode):
    _prepare(ids=IDS[:2])
    os.chmod(cache_dir, mode)
    draws.clear()
    g = _prepare(ids=IDS[:2])
    assert g.cache_path is None and g.cache_hits == 0
    assert sorted(set(draws)) == sorted(IDS[:2])
    err = capsys.readouterr().err
    assert "not using the grading cache" in err and "writable" in err
    _prepare(ids=IDS[:2])
    assert "not using" not in capsys.readouterr().err  # said once
    os.chmod(cache_dir, 0o700)
    assert _prepare(ids=IDS[:2]).cache_hits == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_a_cache_dir_or_file_of_another_user_is_ignored(cache_dir, draws, capsys):
    _prepare(ids=IDS[:2])
    os.chown(cache_dir / f"{IDS[0]}.pkl", 12345, 12345)
    draws.clear()
    g = _prepare(ids=IDS[:2])
    assert g.cache_hits == 1 and draws.count(IDS[0]) >= 1 and IDS[1] not in draws
    os.chown(cache_dir, 12345, 12345)
    g = _prepare(ids=IDS[:2])
    assert g.cache_path is None and g.cache_hits == 0
    assert "owned by uid 12345" in capsys.readouterr().err


def test_group_writable_and_symlinked_files_are_ignored(cache_dir, draws, tmp_path):
    _prepare(ids=IDS[:2])
    os.chmod(cache_dir / f"{IDS[0]}.pkl", 0o666)
    elsewhere = tmp_path / "elsewhere.pkl"
    os.replace(cache_dir / f"{IDS[1]}.pkl", elsewhere)
    os.symlink(elsewhere, cache_dir / f"{IDS[1]}.pkl")
    draws.clear()
    g = _prepare(ids=IDS[:2])
    assert g.cache_hits == 0 and sorted(set(draws)) == sorted(IDS[:2])
    assert not (cache_dir / f"{IDS[1]}.pkl").is_symlink()  # replaced by a real file
    assert (os.stat(cache_dir / f"{IDS[0]}.pkl").st_mode & 0o777) == 0o600


def test_an_unusable_cache_location_does_not_stop_grading(tmp_path, monkeypatch, draws, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(gcache.ENV, str(blocker / "cache"))  # a path under a regular file
    g = _prepare(ids=IDS[:1])
    assert g.cache_path is None and g.prepared[0].error is None and draws
    assert "not using the grading cache" in capsys.readouterr().err


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.delenv(gcache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert gcache.default_dir() == str(tmp_path / "xdg" / "formulacheck")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert gcache.default_dir() == str(tmp_path / "home" / ".cache" / "formulacheck")
    monkeypatch.setenv(gcache.ENV, str(tmp_path / "mine"))
    assert gcache.default_dir() == str(tmp_path / "mine")


def test_no_cache_bypasses_reading_and_writing(cache_dir, draws, tmp_path, capsys, monkeypatch):
    g = _prepare(ids=IDS[:2], cache=False)
    assert not cache_dir.exists() and g.cache_path is None
    _prepare(ids=IDS[:2])
    draws.clear()
    g = _prepare(ids=IDS[:2], cache=False)
    assert g.cache_hits == 0 and sorted(set(draws)) == sorted(IDS[:2])

    sub = tmp_path / "s.py"
    sub.write_text((SUBS / "alt_correct.py").read_text())
    other = tmp_path / "other-cache"
    monkeypatch.setenv(gcache.ENV, str(other))
    argv = ["grade", str(sub), "--group", "softmax", "--examples", "3", "--timeout", "10"]
    assert cli_main(argv + ["--no-cache"]) == 0
    assert not other.exists()
    assert "cache not used" in capsys.readouterr().err
    draws.clear()
    assert cli_main(argv) == 0
    n = len([i for i in IDS if i.startswith("softmax.")])
    assert sorted(os.listdir(other)) == sorted(f"{i}.pkl" for i in IDS if i.startswith("softmax."))
    assert f"0/{n} from the cache" in capsys.readouterr().err
    draws.clear()
    assert cli_main(argv) == 0
    assert f"{n}/{n} from the cache {other}" in capsys.readouterr().err and draws == []
