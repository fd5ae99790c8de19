"""The sandboxed worker's CPU per reference submission, in process: old revision vs this one.

    python benchmarks/bench_worker.py --old /path/to/an/export/of/an/older/commit [--rounds 3]

(an export: ``git archive <commit> | tar -x -C DIR``.) For each revision, in
its own interpreter (alternated, ``--rounds`` times), on every formula of the
public vectors with the reference as the submission:

- ``runner``: :meth:`Runner.run` on every case (unpickling, the call, the
  alias rule, packing, the echo, the reply frames), the frames kept;
- ``supervisor``: :meth:`Supervisor.run` on those frames (a thread writes
  them into a socket: only the supervisor's thread is timed), the frames for
  the grader kept;
- ``calls``: the reference's own calls alone (the part neither can change).

It prints the CPU seconds (thread time, the fastest round) and a digest of
the grader's frames: the same digest means the grader gets the same bytes.
The sandbox's own costs (interpreter start, imports, seccomp) are not here:
``benchmarks/bench_cold.py`` times whole grades.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child(root: str) -> None:
    sys.path.insert(0, root)
    import socket

    from checks.grader import refsub
    from checks.grader.grade import Grader
    from checks.worker import runner as R
    from checks.worker import serve as S
    from checks.worker.common import loads

    preps = Grader().prepare_batch()
    src = refsub.build()
    mod = types.ModuleType("submission")
    exec(compile(src, "submission.py", "exec"), mod.__dict__)

    class Runner(R.Runner):
        def __init__(self):  # no process: the frames are kept
            self.violations, self.cfg, self.filename, self.module, self.progress = [], {"memory_mb": 1}, "s.py", mod, None
            self.frames = []

        def _write(self, frames):
            self.frames.append(b"".join(frames))

        def send(self, obj, *parts):
            self.frames.append(R.HDR.pack(0))  # the "done" (not timed by the supervisor below)

    reqs = [{"op": "run", "fn": p.formula.fn_name, "cases": p.blobs, "fresh": p.formula.fresh_outputs,
             "max_bytes": 32 << 20} for p in preps]
    out: dict = {}
    best = {}
    for _ in range(3):
        r = Runner()
        t = time.thread_time()
        for q in reqs:
            r.run(q)
        best["runner"] = min(best.get("runner", 1e9), time.thread_time() - t)
        t = time.thread_time()
        for q in reqs:
            fn = mod.__dict__.get(q["fn"])
            for b in q["cases"]:
                a, k = loads(b)
                try:
                    fn(*a, **k)
                except Exception:
                    pass
        best["calls"] = min(best.get("calls", 1e9), time.thread_time() - t)
    per_formula = []  # the runner's bytes for each formula, its "done" included
    r = Runner()
    for q in reqs:
        r.frames = []
        r.run(q)
        done = R.wire.message({"op": "done"})
        per_formula.append(b"".join(f for f in r.frames if f != R.HDR.pack(0)) + R.HDR.pack(len(done)) + done)
    digest = hashlib.sha256()
    for rnd in range(3):
        cpu = 0.0
        for q, data in zip(reqs, per_formula):
            sup = S.Supervisor({"max_result_mb": 32})
            mine, theirs = socket.socketpair()
            sup.rsock = mine
            sup.reader = S.FrameReader(mine.fileno())
            sup.runner_pid = -1
            sent = []
            sup.flush = lambda: (sent.append(b"".join(sup.pending)), sup.pending.clear())

            def feed(sock=theirs, data=data):
                sock.recv(1 << 24)  # the request (enough for it: its frame only)
                sock.sendall(data)

            th = threading.Thread(target=feed)
            th.start()
            t = time.thread_time()
            sup.run(q)
            sup.flush()
            cpu += time.thread_time() - t
            th.join()
            mine.close()
            theirs.close()
            if rnd == 0:
                digest.update(b"".join(sent))
        best["supervisor"] = min(best.get("supervisor", 1e9), cpu)
    out = {k: round(v, 3) for k, v in best.items()}
    out["grader_bytes_sha256"] = digest.hexdigest()[:16]
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="an export of the older revision")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child)
        return
    res: dict = {"old": [], "new": []}
    for _ in range(a.rounds):
        for name, root in (("old", a.old), ("new", ROOT)):
            p = subprocess.run([sys.executable, __file__, "--old", a.old, "--child", root], capture_output=True,
                               text=True, cwd=root)
            if p.returncode:
                sys.exit(p.stderr)
            res[name].append(json.loads(p.stdout.strip().splitlines()[-1]))
            print(name, res[name][-1], flush=True)
    for name in res:
        rs = res[name]
        print(f"{name}: " + ", ".join(f"{k} {min(r[k] for r in rs):.3f} s" for k in ("calls", "runner", "supervisor"))
              + f" (fastest of {len(rs)}), grader bytes {rs[0]['grader_bytes_sha256']}")


if __name__ == "__main__":
    main()
