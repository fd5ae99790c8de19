"""Grading on a Dask cluster: one grader per worker, submissions as tasks, results as they complete.

``grade_on_dask(paths, grader_kwargs, "local:2")`` starts a
``distributed.LocalCluster`` of 2 worker processes (spawned: nothing of this
process, torch included, is inherited); any other address is a running
scheduler's (``tcp://HOST:8786``, see docs/scaling.md).

* Each worker holds ONE :class:`~checks.grader.grade.Grader` (``jobs=1``),
  built in :meth:`GraderPlugin.setup` (a ``distributed.WorkerPlugin``, set up
  again on every worker that joins or restarts) and closed in ``teardown``.
* The vectors file travels inside the plugin (its bytes, once per worker) or
  is read from a path every worker has (``vectors_on_workers``); either way
  the worker checks its SHA-256 against the client's and refuses to grade on
  a mismatch.
* Every worker must reach the required isolation level
  (``required_isolation``, else the rubric's ``[sandbox] isolation``): a
  worker below it refuses (:class:`WorkerRefused`, naming the worker and its
  level) and the batch stops.
* A task is one submission: its raw bytes, name and path (read here by the
  grader's rules, :func:`checks.scale.journal.read_raw`); the worker writes
  them under the same file name in a private folder and runs
  ``Grader.grade_file`` on it, so a result is exactly the local grader's.
  Results come back as plain records (:mod:`checks.scale.records`).
* A worker that dies (killed, out of memory) has its task retried on another
  one by the scheduler; a task whose worker died ``ALLOWED_FAILURES + 1``
  times becomes a result of status "grader error" with every formula
  verdict "crashed" (:func:`crashed_result`), never retried forever.
  The scheduler's ``worker-saturation`` is 1.0 during the batch: a worker
  holds only the task it runs, so a death charges no other submission.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import dask
import distributed
from distributed import WorkerPlugin

from checks.core import feedback
from checks.core.verdicts import Status, Verdict
from checks.grader.grade import FormulaResult, SubmissionResult
from checks.grader.isolation import IsolationError
from checks.scale.journal import Journal, Raw, journaled, read_raw
from checks.scale.records import from_record, to_record

#: a task may take down this many workers and be retried; one more death makes it "crashed"
ALLOWED_FAILURES = 1
PLUGIN_PREFIX = "formulacheck-grader"
#: seconds to wait for a scheduler, for the first worker
CONNECT_TIMEOUT = 30.0
WORKERS_TIMEOUT = 120.0


class DaskError(ValueError):
    """A cluster that cannot be used (bad --dask value, no scheduler, no workers): one line, exit 2."""


class WorkerRefused(IsolationError):
    """A worker refuses to grade (isolation below the required level, a vectors file with another hash)."""


# --------------------------------------------------------------------------
# the worker side
# --------------------------------------------------------------------------

class GraderPlugin(WorkerPlugin):
    """The grader of one Dask worker. Setup never raises: a refusal is kept and given to every task."""

    def __init__(self, grader_kwargs: dict, vectors_sha256: str, vectors_bytes: bytes | None = None,
                 vectors_path: str | None = None, version: str = ""):
        self.grader_kwargs = grader_kwargs
        self.vectors_sha256 = vectors_sha256
        self.vectors_bytes = vectors_bytes
        self.vectors_path = vectors_path
        self.version = version
        self.grader = None
        self.error: str | None = None
        self.level = ""
        self.address = ""
        self.host = ""
        self.nthreads = 0
        self.tmp: str | None = None

    def setup(self, worker) -> None:
        """Runs in the worker's event-loop thread (it lives as long as the process: the grader's zygote,
        which dies with the thread that started it, too)."""
        import socket

        import checks
        from checks.grader import isolation as iso
        from checks.grader import sandbox
        from checks.grader.grade import Grader

        self.address, self.host, self.nthreads = worker.address, socket.gethostname(), worker.state.nthreads
        kw = dict(self.grader_kwargs)
        try:
            self.level = iso.level_for(iso.detect(), sandbox.resolve_drop(kw.get("drop_privileges")),
                                       kw.get("namespaces", True), kw.get("seccomp", True))
            if self.version != checks.__version__:
                raise WorkerRefused(f"has formulacheck {checks.__version__}, the client {self.version}: install "
                                    "the same version on every machine")
            self.tmp = tempfile.mkdtemp(prefix="formulacheck-dask-")  # 0700
            if self.vectors_bytes is not None:
                path = os.path.join(self.tmp, "vectors.zip")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(self.vectors_bytes)
            else:
                path = self.vectors_path
            self._check_sha(path)
            g = Grader(**kw, vectors=path)  # IsolationError below the required level
            try:
                g._ensure()  # start the zygote and the sandbox
                g.prepare_batch()  # read the whole vectors file now (a malformed one refuses the worker)
                if g.sha256 != self.vectors_sha256:
                    raise WorkerRefused(f"read a vectors file of SHA-256 {g.sha256[:16]}..., not the "
                                        f"client's {self.vectors_sha256[:16]}...")
            except BaseException:
                g.close()
                raise
            self.grader = g
        except WorkerRefused as e:
            self.error = f"worker {self.address} ({self.host}, isolation {self.level!r}) refuses to grade: {e}"
        except IsolationError as e:
            self.error = f"worker {self.address} ({self.host}) is at isolation level {self.level!r}: {e}"
        except Exception as e:
            self.error = (f"worker {self.address} ({self.host}, isolation {self.level!r}) could not start its grader: "
                          f"{type(e).__name__}: {e}")

    def _check_sha(self, path: str | None) -> None:
        if path is None:
            raise WorkerRefused("no vectors file (neither shipped nor a path on the workers)")
        from checks.core.vecfile import file_sha256

        try:
            sha = file_sha256(path)
        except OSError as e:
            raise WorkerRefused(f"cannot read the vectors file {path!r} here: {e.strerror or e}") from None
        if sha != self.vectors_sha256:
            raise WorkerRefused(f"its vectors file {path!r} has SHA-256 {sha[:16]}..., the client's "
                                f"{self.vectors_sha256[:16]}...: copy the same file to every worker")

    def teardown(self, worker) -> None:
        if self.grader is not None:
            try:
                self.grader.close()
            finally:
                self.grader = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def info(self) -> dict:
        g = self.grader
        return {"address": self.address, "host": self.host, "pid": os.getpid(), "nthreads": self.nthreads,
                "isolation": g.isolation if g else self.level, "resources": g.resources if g else "",
                "vectors": g.sha256 if g else "", "error": self.error,
                "formulas": [(p.formula.id, p.points) for p in g.prepared] if g else []}

    def grade(self, data: bytes | None, why: str | None, name: str, path: str) -> dict:
        if self.error is not None:
            raise WorkerRefused(self.error)
        g = self.grader
        if why is not None:  # what grade_file does with a file it cannot read
            res = g._all_zero(name, path, Status.UNREADABLE, why, Verdict.ERROR)
        else:
            d = tempfile.mkdtemp(dir=self.tmp)
            try:
                f = os.path.join(os.fsencode(d), os.fsencode(os.path.basename(path)))
                with open(f, "wb") as fh:
                    fh.write(data)
                res = g.grade_file(f)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            res.path = path
        return {"record": to_record(res), "worker": self.address}


def _plugin(name: str, worker=None) -> GraderPlugin:
    w = worker if worker is not None else distributed.get_worker()
    p = w.plugins.get(name)
    if p is None:
        raise WorkerRefused(f"worker {w.address} has no formulacheck grader ({name}): it was not set up")
    return p


def grade_task(plugin_name: str, data: bytes | None, why: str | None, name: str, path: str) -> dict:
    """One submission, on a worker (the Dask task)."""
    return _plugin(plugin_name).grade(data, why, name, path)


def worker_info(plugin_name: str, dask_worker=None) -> dict:
    """A worker's grader (``client.run``): its address, isolation level, vectors hash, formulas, refusal."""
    return _plugin(plugin_name, dask_worker).info()


def _set_scheduler(dask_scheduler=None, allowed_failures: int = ALLOWED_FAILURES, saturation: float = 1.0):
    """On the scheduler: retries of a task whose worker died, and one task per worker thread at a time."""
    old = (dask_scheduler.allowed_failures, dask_scheduler.WORKER_SATURATION)
    dask_scheduler.allowed_failures = allowed_failures
    if saturation != float("inf") and dask_scheduler.WORKER_SATURATION != float("inf"):
        dask_scheduler.WORKER_SATURATION = saturation
    return old


# --------------------------------------------------------------------------
# the client side
# --------------------------------------------------------------------------

def parse_address(address: str) -> tuple[str, int | str]:
    """``local:N`` -> ("local", N); a scheduler address -> ("remote", address); DaskError otherwise."""
    a = str(address).strip()
    if a.startswith("local"):
        n = a[len("local:"):] if a.startswith("local:") else ""
        if not n.isdigit() or not 1 <= int(n) <= 512:
            raise DaskError(f"--dask {address!r}: give local:N with N workers between 1 and 512 (e.g. local:2), "
                            "or a scheduler address such as tcp://HOST:8786")
        return "local", int(n)
    if not a or any(c.isspace() for c in a) or ":" not in a:
        raise DaskError(f"--dask {address!r}: not a scheduler address; give tcp://HOST:PORT (what `dask scheduler` "
                        "prints) or local:N")
    return "remote", a


def local_config() -> dict:
    return {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
            "distributed.scheduler.worker-saturation": 1.0,
            "distributed.worker.multiprocessing-method": "spawn",
            # judging is Python: a stack sampler every 10 ms and a GIL monitor every 1 ms in the same
            # process take the GIL from it (measured: grading 1.22x the local --jobs time with them)
            "distributed.worker.profile.enabled": False,
            "distributed.admin.system-monitor.gil.enabled": False}


@contextmanager
def connect(address: str, *, n_expected: int | None = None) -> Iterator[distributed.Client]:
    """A client of ``address`` (``local:N``: a LocalCluster of N spawned processes, closed on exit;
    a ``distributed.Client``: that client, left open)."""
    if isinstance(address, distributed.Client):
        yield address
        return
    kind, where = parse_address(address)
    cluster = None
    try:
        if kind == "local":
            with dask.config.set(local_config()):
                cluster = distributed.LocalCluster(n_workers=where, threads_per_worker=1, processes=True,
                                                   dashboard_address=":0", silence_logs=logging.ERROR)
                client = distributed.Client(cluster)
            n_expected = where
        else:
            try:
                client = distributed.Client(where, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as e:
                raise DaskError(f"--dask {address!r}: cannot reach a Dask scheduler there ({type(e).__name__}: {e}); "
                                "start one with `dask scheduler` and give the address it prints") from None
        try:
            try:
                client.wait_for_workers(n_expected or 1, timeout=WORKERS_TIMEOUT)
            except TimeoutError:
                raise DaskError(f"--dask {address!r}: no worker joined the scheduler within {WORKERS_TIMEOUT:.0f}s; "
                                "start them with `dask worker ADDRESS --nthreads 1 --nworkers N`") from None
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def worker_kwargs(grader_kwargs: dict, required_isolation: str | None) -> dict:
    """The workers' Grader arguments: one job, no processes of its own, the required level, nothing local."""
    from checks.grader import isolation as iso

    kw = {k: v for k, v in grader_kwargs.items() if k not in ("vectors", "on_prepare")}
    kw["jobs"], kw["processes"] = 1, False
    req = iso.parse_requirement(required_isolation) or iso.parse_requirement(kw.get("isolation"))
    kw["isolation"] = req
    return kw


def crashed_result(raw: Raw, formulas: list, vectors: str, deaths: int, last: str, isolation: str = "",
                   resources: str = "") -> SubmissionResult:
    """The result of a submission whose grading took down ``deaths`` workers: not a grade (status
    "grader error", as a grading process that died locally), every formula "crashed", 0 points."""
    msg = (f"crashed: the Dask worker grading this submission died {deaths} times (killed, or out of memory; "
           f"last {last or 'unknown'}); not retried again. Not a grade: read that worker's log, then grade it again")
    res = SubmissionResult(raw.name, raw.path, status=Status.GRADER_ERROR, message=msg,
                           isolation=isolation, resources=resources, vectors=vectors)
    for fid, points in formulas:
        res.tests.append(FormulaResult(fid, 0.0, float(points), Verdict.CRASHED,
                                       feedback.one_line(Status.GRADER_ERROR, msg), f"{fid}: {Verdict.CRASHED}\n{msg}"))
    return res


def _check_workers(infos: dict) -> list[dict]:
    bad = [i["error"] for i in infos.values() if i.get("error")]
    if bad:
        more = f" (and {len(bad) - 1} more worker(s))" if len(bad) > 1 else ""
        raise WorkerRefused(bad[0] + more)
    return list(infos.values())


def grade_on_dask(paths: Sequence["str | bytes"], grader_kwargs: dict, address: "str | distributed.Client", *,
                  on_done: Callable[[SubmissionResult], None] | None = None, journal: Journal | None = None,
                  required_isolation: str | None = None, vectors_on_workers: str | None = None,
                  on_workers: Callable[[list[dict]], None] | None = None, results: list | None = None,
                  finish: Callable[[int, SubmissionResult], None] | None = None,
                  window: int | None = None) -> list[SubmissionResult]:
    """Grade ``paths`` on the Dask cluster ``address``; the results in input order.

    ``grader_kwargs``: :class:`~checks.grader.grade.Grader`'s arguments
    (``rubric``, ``vectors``, ``ids``, ``shrink``, ``isolation``,
    ``namespaces``, ``seccomp``, ``drop_privileges``; ``jobs`` is 1 on
    every worker). ``on_done(result)`` runs here as each result arrives
    (after its journal record is written); ``journal``: skip what it has,
    record the rest (:mod:`checks.scale.journal`); ``on_workers(infos)``:
    called once the workers are checked (their address, isolation,
    resources...); ``results``: filled in place (an interruption leaves in it
    what was graded). ``vectors_on_workers``: the workers read the vectors
    file at that path instead of getting its bytes (checked by SHA-256 all the same).
    ``paths`` may hold :class:`~checks.scale.journal.Raw` items (already read, or
    ``data=None, why=...`` for a submission that has no file: graded as unreadable).
    ``finish(i, result)`` completes a freshly graded result of input ``i`` before it is
    journaled and reported (the CLI adds whose it is).
    ``address``: ``local:N``, a scheduler's address, or a ``distributed.Client`` (used, not closed).
    Raises :class:`DaskError` / :class:`WorkerRefused` (exit 2 in the CLI).
    """
    import checks
    from checks.scale.journal import vectors_sha256

    # a bad value fails before anything is read
    kind = "client" if isinstance(address, distributed.Client) else parse_address(address)[0]
    vec = grader_kwargs.get("vectors")
    if vec is None:
        from checks import data

        vec = data.PUBLIC_VECTORS
    kw = worker_kwargs(grader_kwargs, required_isolation)
    if vectors_on_workers is None:
        try:
            with open(vec, "rb") as f:
                blob = f.read()
        except OSError as e:
            raise DaskError(f"--vectors {vec!r}: cannot read it: {e.strerror or e}") from None
        sha = hashlib.sha256(blob).hexdigest()
    else:
        blob, sha = None, vectors_sha256(vec)
    if journal is not None and journal.vectors != sha:
        raise DaskError(f"--journal {journal.path!r} was opened for another vectors file")
    raws = [p if isinstance(p, Raw) else read_raw(p) for p in paths]
    if journal is not None and all(journal.get(r) is not None for r in raws):  # nothing to grade: no cluster
        return journaled(raws, lambda items, done: [], journal, on_done, results)
    name = f"{PLUGIN_PREFIX}-{uuid.uuid4().hex[:12]}"
    plugin = GraderPlugin(kw, sha, blob, vectors_on_workers, checks.__version__)
    with connect(address) as client:
        old = client.run_on_scheduler(_set_scheduler)
        client.register_plugin(plugin, name=name)
        try:
            infos = _check_workers(client.run(worker_info, name))
            if on_workers:
                on_workers(infos)
            by_addr = {i["address"]: i for i in infos}

            def grade_items(items: list[Raw], done) -> list:
                if finish is None:
                    return _run_tasks(client, name, items, done, by_addr, sha, window)
                where = {id(r): i for i, r in enumerate(raws)}

                def finished(k: int, res: SubmissionResult) -> None:
                    finish(where[id(items[k])], res)
                    done(k, res)

                return _run_tasks(client, name, items, finished, by_addr, sha, window)

            return journaled(raws, grade_items, journal, on_done, results)
        finally:
            try:
                client.unregister_worker_plugin(name)
            except Exception:
                pass
            if kind != "local":
                try:
                    client.run_on_scheduler(_set_scheduler, allowed_failures=old[0], saturation=old[1])
                except Exception:
                    pass


def _run_tasks(client: distributed.Client, plugin_name: str, items: list[Raw], done, by_addr: dict, sha: str,
               window: int | None) -> list:
    """Submit ``items`` as tasks (a window of them in flight), call ``done(k, result)`` as each completes."""
    n = len(items)
    out: list = [None] * n
    token = uuid.uuid4().hex[:8]
    threads = sum(i.get("nthreads") or 1 for i in by_addr.values())
    # more in flight than 2x the threads: the scheduler then queues them (root-ish tasks) and a worker
    # holds only what it runs
    window = max(window or 0, 4 * threads + 4)
    formulas = next(iter(by_addr.values()))["formulas"]
    futs: dict = {}
    ac = distributed.as_completed()
    nxt = iter(range(n))

    def submit(k: int) -> None:
        it = items[k]
        key = f"formulacheck-grade-{k}-{(it.sha256 or 'unreadable')[:16]}-{token}"
        fut = client.submit(grade_task, plugin_name, it.data, it.why, it.name, it.path, key=key, pure=False,
                            retries=0)
        futs[fut.key] = (k, fut)
        ac.add(fut)

    try:
        for k in range(min(window, n)):
            submit(next(nxt))
        for fut in ac:
            if fut.status == "pending":  # finished, then its result was lost with its worker: computed again
                ac.add(fut)
                continue
            k, _ = futs.pop(fut.key)
            try:
                rec = fut.result()
            except distributed.KilledWorker as e:
                last = getattr(e, "last_worker", None)
                addr = getattr(last, "address", "") or ""
                w = by_addr.get(addr) or next(iter(by_addr.values()))
                res = crashed_result(items[k], formulas, sha, ALLOWED_FAILURES + 1, addr, w.get("isolation", ""),
                                     w.get("resources", ""))
            except WorkerRefused:
                raise
            except distributed.client.FutureCancelledError as e:
                raise DaskError(f"the Dask scheduler cancelled the grading of {items[k].name} ({e}): was the "
                                "cluster closed or restarted?") from None
            else:
                res = from_record(rec["record"])
            fut.release()
            out[k] = res
            done(k, res)
            k2 = next(nxt, None)
            if k2 is not None:
                submit(k2)
    finally:
        left = [f for _, f in futs.values()]
        if left:
            try:
                client.cancel(left, force=True)
            except Exception:
                pass
    return out
