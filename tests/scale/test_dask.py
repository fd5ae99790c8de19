"""Grading on a Dask cluster (checks.scale.dask): a LocalCluster of 2 worker processes for the module.

The grades must be exactly the local grader's (``Grader(jobs=2).grade_many``);
a worker killed mid-batch loses nothing and counts nothing twice; a
submission whose grading kills its worker every time is "crashed" after 2
attempts; an interrupted batch resumed from its journal gives the same
outputs; a worker below the required isolation level, or reading another
vectors file, refuses.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra (pip install -e '.[dask]') is not installed")

import dask  # noqa: E402

from checks.core.verdicts import Status, Verdict  # noqa: E402
from checks.grader.grade import Grader  # noqa: E402
from checks.scale import dask as sd  # noqa: E402
from checks.scale import journal as jm  # noqa: E402
from tests.scale.helpers import IDS, assert_same, comparable, write_batch  # noqa: E402

KW = {"ids": IDS}


@pytest.fixture(scope="module")
def cluster():
    with dask.config.set(sd.local_config()):
        c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                     silence_logs=40)
    with c, distributed.Client(c) as client:
        client.wait_for_workers(2, timeout=120)
        yield c, client


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return write_batch(tmp_path_factory.mktemp("subs"))


@pytest.fixture(scope="module")
def local(batch):
    with Grader(ids=IDS, jobs=2) as g:
        return g.grade_many(batch)


def _healthy(client) -> dict:
    """Both workers up again (the nanny restarts a killed one); their pids."""
    client.wait_for_workers(2, timeout=120)
    end = time.monotonic() + 60
    while len(client.scheduler_info()["workers"]) < 2 and time.monotonic() < end:
        time.sleep(0.2)
    return client.run(os.getpid)


def test_same_grades_as_local_jobs(cluster, batch, local):
    c, client = cluster
    assert len({r.score for r in local}) >= 4 and {r.status for r in local} != {Status.OK}
    done, infos = [], []
    got = sd.grade_on_dask(batch, KW, c.scheduler_address, on_done=done.append, on_workers=infos.extend)
    assert_same(got, local)
    assert sorted(r.name for r in done) == sorted(r.name for r in local)  # streamed, each once
    assert len(infos) == 2 and {i["isolation"] for i in infos} == {local[0].isolation}
    assert len({i["pid"] for i in infos}) == 2 and os.getpid() not in {i["pid"] for i in infos}
    # the workers never imported torch (spawned processes, a grader without oracles)
    assert set(client.run(lambda: "torch" in sys.modules).values()) == {False}


def test_worker_killed_mid_batch_loses_nothing(cluster, batch, local):
    c, client = cluster
    pids = _healthy(client)
    killed = {}

    def kill_one_busy(r):
        if killed:
            return
        busy = {w: ks for w, ks in client.processing().items() if ks}
        if busy:
            w, keys = next(iter(busy.items()))
            killed[w] = list(keys)
            os.kill(pids[w], signal.SIGKILL)  # what the OOM killer does

    done = []
    got = sd.grade_on_dask(batch, KW, client, on_done=lambda r: (done.append(r.name), kill_one_busy(r)))
    assert killed, "no worker was busy when the first result came"
    assert sorted(done) == sorted(r.name for r in local)  # every submission exactly once
    assert_same(got, local)


class Killer(distributed.WorkerPlugin):
    """Kills the worker process as it starts a task whose key names ``marker`` (the submission's SHA-256)."""

    def __init__(self, marker: str):
        self.marker = marker

    def transition(self, key, start, finish, **kw):
        if finish == "executing" and self.marker in str(key):
            os._exit(17)


def test_submission_killing_its_worker_is_crashed_after_two_attempts(cluster, batch, local, tmp_path):
    c, client = cluster
    _healthy(client)
    bomb = tmp_path / "bomb.py"
    bomb.write_text(open(batch[0], encoding="utf-8").read() + "\n# this one takes its worker down\n", encoding="utf-8")
    marker = jm.read_raw(str(bomb)).sha256[:16]
    client.register_plugin(Killer(marker), name="test-killer")
    try:
        client.run_on_scheduler(_count_starts, marker)
        done = []
        got = sd.grade_on_dask([*batch, str(bomb)], KW, client, on_done=lambda r: done.append(r.name))
        started = client.run_on_scheduler(_starts)
    finally:
        client.unregister_worker_plugin("test-killer")
    assert_same(got[:-1], local)  # the others: graded once each, the same grades
    assert sorted(done) == sorted([r.name for r in local] + ["bomb.py"])
    b = got[-1]
    assert b.status is Status.GRADER_ERROR and b.message.startswith("crashed: the Dask worker grading this submission died 2 times")
    assert [t.id for t in b.tests] == [t.id for t in local[0].tests]
    assert {t.verdict for t in b.tests} == {Verdict.CRASHED} and b.score == 0 and b.max_score == local[0].max_score
    assert started == 2  # two attempts, then no more


def _count_starts(marker, dask_scheduler=None):
    """Count (on the scheduler) how many times a task naming ``marker`` was sent to a worker."""
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Count(SchedulerPlugin):
        name = "test-count-starts"
        n = 0

        def transition(self, key, start, finish, *a, **kw):
            if finish == "processing" and marker in str(key):
                Count.n += 1

    dask_scheduler.add_plugin(Count(), name=Count.name)
    dask_scheduler._test_count = Count


def _starts(dask_scheduler=None):
    n = dask_scheduler._test_count.n
    dask_scheduler.remove_plugin(name="test-count-starts")
    return n


class Stop(Exception):
    pass


def test_interrupted_batch_resumes_from_journal(cluster, batch, local, tmp_path):
    c, client = cluster
    _healthy(client)
    jpath = str(tmp_path / "grades.jsonl")
    seen = []

    def stop_after_3(r):
        seen.append(r.name)
        if len(seen) == 3:
            raise Stop

    with jm.open_journal(jpath, vectors=None, ids=IDS) as j, pytest.raises(Stop):
        sd.grade_on_dask(batch, KW, client, on_done=stop_after_3, journal=j)
    assert len(open(jpath, "rb").read().splitlines()) == 3
    done = []
    with jm.open_journal(jpath, vectors=None, ids=IDS) as j:
        got = sd.grade_on_dask(batch, KW, client, on_done=lambda r: done.append(r.name), journal=j)
        assert j.appended == len(batch) - 3
    assert sorted(done) == sorted(r.name for r in local)
    assert_same(got, local)
    # the journal's records are the local grader's results too (the same file serves --jobs)
    with jm.open_journal(jpath, vectors=None, ids=IDS) as j:
        again = jm.run_with_journal(batch, lambda p, cb: pytest.fail(f"graded {p}"), j)
    assert [comparable(r) for r in again] == [comparable(r) for r in local]


def test_worker_below_required_isolation_refuses(cluster, batch, local):
    c, client = cluster
    assert local[0].isolation == "namespaces+seccomp" or pytest.fail(
        f"this machine grades at {local[0].isolation!r}: the test needs bubblewrap and seccomp")
    with pytest.raises(sd.WorkerRefused) as e:
        sd.grade_on_dask(batch, {**KW, "namespaces": False}, client,
                         required_isolation="require=namespaces+seccomp")
    msg = str(e.value)
    assert "\n" not in msg and "tcp://127.0.0.1:" in msg
    assert "isolation level 'seccomp" in msg and "at least 'namespaces+seccomp' is required" in msg
    # a requirement the workers meet: graded
    got = sd.grade_on_dask(batch[:1], {**KW, "namespaces": False}, client, required_isolation="seccomp")
    assert got[0].isolation.startswith("seccomp") and got[0].tests == local[0].tests


def test_vectors_with_another_hash_refuses(cluster, batch, tmp_path):
    c, client = cluster
    from checks import data

    other = tmp_path / "other.zip"
    other.write_bytes(open(data.PUBLIC_VECTORS, "rb").read() + b"\0")
    with pytest.raises(sd.WorkerRefused, match=r"has SHA-256 [0-9a-f]{16}\.\.\., the client's [0-9a-f]{16}"):
        sd.grade_on_dask(batch[:1], KW, client, vectors_on_workers=str(other))
    got = sd.grade_on_dask(batch[:1], KW, client, vectors_on_workers=data.PUBLIC_VECTORS)
    assert got[0].vectors == jm.vectors_sha256(None)


def test_bad_addresses_are_one_line_errors(monkeypatch):
    for bad, what in (("local:0", "local:N"), ("local:x", "local:N"), ("nowhere", "not a scheduler address")):
        with pytest.raises(sd.DaskError, match=what):
            sd.parse_address(bad)
    assert sd.parse_address("local:3") == ("local", 3)
    monkeypatch.setattr(sd, "CONNECT_TIMEOUT", 2.0)
    with pytest.raises(sd.DaskError, match="cannot reach a Dask scheduler"):
        with sd.connect("tcp://127.0.0.1:9"):
            pass


def test_local_cluster_address(batch, local):
    """``local:N`` starts (and closes) its own LocalCluster."""
    got = sd.grade_on_dask(batch[:2], KW, "local:1")
    assert_same(got, local[:2])


def test_cli_helpers(cluster, batch, local, tmp_path):
    """checks.scale.cli: the options' checks are one-line UsageErrors; run_dask fills the results in place."""
    import argparse
    import io

    from rich.console import Console

    from checks.cli.console import UsageError
    from checks.scale import cli as scli

    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--vectors")
    p.add_argument("--shrink", action="store_true")
    scli.add_arguments(p)
    for argv, what in ((["--dask", "local:0"], "local:N"), (["--dask", "local:2", "--jobs", "2"], "give one of them")):
        with pytest.raises(UsageError, match=what):
            scli.check(p.parse_args(argv))
    with pytest.raises(UsageError, match="is a directory"):
        scli.open_journal(p.parse_args(["--journal", str(tmp_path)]), None, IDS)
    c, _ = cluster
    args = p.parse_args(["--dask", c.scheduler_address, "--journal", str(tmp_path / "j.jsonl")])
    scli.check(args)
    args.isolation_required = "seccomp"
    from checks.grader.batch import Submission

    subs = [Submission(path=b, where=os.path.basename(b), student={"student": f"s{k}"}) for k, b in enumerate(batch)]
    subs.append(Submission(path="", where="alice/", problem="the folder holds no .py file", student={"student": "alice"}))
    results, done = [None] * len(subs), []
    err = Console(file=io.StringIO(), width=200)
    with scli.open_journal(args, None, IDS) as j:
        info = scli.run_dask(args, subs, None, IDS, results, done.append, j, err)
        assert j.appended == len(batch)  # the folder without a file: not journaled
    assert [r.student["student"] for r in results] == [f"s{k}" for k in range(len(batch))] + ["alice"]
    for r in results:
        r.student = {}
    assert_same(results[:-1], local)
    a = results[-1]
    assert (a.name, a.status, a.message, a.score) == ("alice/", Status.UNREADABLE, "the folder holds no .py file", 0)
    assert [t.id for t in a.tests] == IDS and len(done) == len(subs)
    assert [f.id for f in info.formulas] == [t.id for t in local[0].tests]
    assert "dask: 2 workers on 1 machine(s); isolation: namespaces+seccomp" in err.file.getvalue()
    bad = tmp_path / "not-vectors.zip"
    bad.write_bytes(b"not a zip")
    args = p.parse_args(["--dask", c.scheduler_address, "--vectors", str(bad)])
    with pytest.raises(UsageError, match=r"^--vectors: .*not a vectors file"):
        scli.run_dask(args, batch[:1], None, IDS, [None], None, None, err)
