"""Requests sent ahead: the worker starts the next formula the moment the current one ends.

``Sandbox.run(..., then=(fn, blobs, fresh))`` queues the next run's request behind the current one
(a thread sends it, so that neither side can block the other on a full socket), and the grader's next
``run`` with those very blobs only reads its replies. Here, on a real sandbox at the strongest level
this machine allows: the queued formula runs before the grader asks for it; a timeout or a crash of
the current formula loses the queued one (the worker is restarted and the formula runs there); requests
and replies larger than the socket buffers do not deadlock; after a run that reported a policy
violation, the supervisor answers a queued run "done" without running it (the grader stops there).
"""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

from checks.core import wire
from checks.grader import sandbox
from checks.grader.rubric import Limits, Rubric

SRC = """
import os, time
import numpy as np

def ident(x):
    return float(x)

def when(x):
    return time.monotonic()

def spin(x):
    while True:
        pass

def die(x):
    os._exit(3)

def big(x):
    return np.full(300_000, float(x))

def twice(x):
    return np.asarray(x) * 2.0

def sneaky(x):
    try:
        import requests  # not allowed: a policy violation, reported with the replies
    except ImportError:
        pass
    return float(x)

def loud(x):
    print("loud ran")
    return float(x)
"""
FNS = ["ident", "when", "spin", "die", "big", "twice", "sneaky", "loud"]


def _blobs(*xs) -> list[bytes]:
    return [pickle.dumps(((x,), {}), protocol=5) for x in xs]


def _values(replies) -> list:
    assert all(r is not None and r["k"] == "ok" for r in replies), replies
    return [wire.unpack(r["v"]) for r in replies]


@pytest.fixture
def sb(tmp_path):
    z = sandbox.Zygote()
    s = sandbox.Sandbox(z, Limits(), Rubric().policy, str(tmp_path), 8)
    try:
        assert s.open(SRC, "pipeline.py", FNS).ok
        yield s
    finally:
        s.close()
        z.close()


def test_the_queued_formula_runs_before_the_grader_asks(sb):
    later = _blobs(0.0)
    replies, problem = sb.run("ident", _blobs(1.0, 2.0), False, 10.0, then=("when", later, False))
    assert problem is None and _values(replies) == [1.0, 2.0]
    time.sleep(0.5)  # a busy grader
    asked = time.monotonic()
    replies, problem = sb.run("when", later, False, 10.0)
    assert problem is None
    (ran,) = _values(replies)
    assert ran < asked - 0.3, "the queued request waited for the grader"
    # not queued: the formula runs when asked
    replies, problem = sb.run("when", _blobs(0.0), False, 10.0)
    assert problem is None and _values(replies)[0] > asked


@pytest.mark.parametrize("bad, kind", [("spin", "timeout"), ("die", "crash")])
def test_a_timeout_or_a_crash_loses_nothing_queued_behind_it(sb, bad, kind):
    later = _blobs(3.0, 4.0)
    replies, problem = sb.run(bad, _blobs(0.0, 0.0), False, 1.0, then=("ident", later, False))
    assert problem is not None and problem[0] == kind and problem[1] == 0
    replies, problem = sb.run("ident", later, False, 10.0)
    assert problem is None and _values(replies) == [3.0, 4.0]
    assert sb.restarts == 1


def test_requests_and_replies_larger_than_the_socket_buffers_do_not_deadlock(sb):
    """6 results of 2.4 MB each come back while a 14 MB request waits to be read: the deadline
    (60 s) would end a deadlock as a timeout."""
    arrays = [np.full(300_000, float(k)) for k in range(6)]
    later, last = _blobs(*arrays), _blobs(9.0)
    replies, problem = sb.run("big", _blobs(*range(6)), False, 60.0, then=("twice", later, False))
    assert problem is None
    assert [float(v[0]) for v in _values(replies)] == [float(k) for k in range(6)]
    replies, problem = sb.run("twice", later, False, 60.0, then=("ident", last, False))
    assert problem is None and [float(v[-1]) for v in _values(replies)] == [2.0 * k for k in range(6)]
    replies, problem = sb.run("ident", last, False, 60.0)
    assert problem is None and _values(replies) == [9.0]


def test_a_request_sent_ahead_must_be_the_next_run(sb):
    """A grader bug (running another formula than the one queued) is a crash of the run, not a wrong
    attribution of replies; the worker is restarted for the next run."""
    replies, problem = sb.run("ident", _blobs(1.0), False, 10.0, then=("when", _blobs(0.0), False))
    assert problem is None
    replies, problem = sb.run("ident", _blobs(2.0), False, 10.0)
    assert problem is not None and problem[0] == "crash" and "sent ahead" in problem[2]
    replies, problem = sb.run("ident", _blobs(3.0), False, 10.0)
    assert problem is None and _values(replies) == [3.0]


def test_after_a_violation_a_queued_run_is_answered_unrun(sb):
    later = _blobs(5.0)
    replies, problem = sb.run("sneaky", _blobs(1.0), False, 10.0, then=("loud", later, False))
    assert problem is None and sb.violations and "requests" in sb.violations[0]
    time.sleep(0.5)  # time enough for the queued formula to run, if it were run
    replies, problem = sb.run("loud", later, False, 10.0)
    assert problem is None and replies == [None]
    assert "loud ran" not in sb.output()[0]
