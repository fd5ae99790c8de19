"""Hostile submissions at every level below namespaces: the supervisor judges the in-place rule, forged
frames are the submission's, and what is not stopped is graded at an honestly reported level.

Part of the split of test_levels.py (the design of these tests: the docstring of
tests/grader/_levels_run.py; the machinery: _levels_run.py, _levels_batches.py).
"""

from __future__ import annotations

import os

import pytest

from tests.grader._levels_batches import _outcome_line
from tests.grader._levels_run import LEVELS, NEIGHBOUR, REACH
from tests.grader._levels_batches import caps, graded, hidden_vectors, shared_dir  # noqa: F401  fixtures


# --------------------------------------------------------------------------
# every level: the supervisor judges, forged frames are the submission's
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_patching_the_worker_cannot_hide_an_in_place_change(graded, level):
    """The in-place rule is judged in the supervisor, a separate process: the runner's patch changes nothing."""
    o = graded("frames", level)
    rep = o.rep("patch_worker_compare")
    assert rep.get("patched", "nothing") != "nothing", f"the attack found nothing to patch (a weaker test): {rep}"
    v = {t["id"]: t["verdict"] for t in o.r("patch_worker_compare")["tests"]}
    for fid in ("activations.relu_backward", "activations.tanh_backward", "activations.leaky_relu_backward"):
        assert v[fid] == "modified its arguments", f"{fid}: {v[fid]}\n{o.say()}"
    assert not o.unearned("patch_worker_compare"), o.say()


@pytest.mark.parametrize("level", LEVELS)
def test_forged_frames_are_never_a_grader_error(graded, level):
    o = graded("frames", level)
    for stem in ("forge_fatal_frame", "forge_late_frames"):
        r = o.r(stem)
        assert r["status"] != "grader error", f"{stem}: {r['message']}\n{o.say()}"
        for text in (r["message"], *(t["reason"] for t in r["tests"])):
            assert "regrade" not in text, f"{stem}: the forged text reached the result: {text}"
        assert not o.unearned(stem), o.say()
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], o.say()


# --------------------------------------------------------------------------
# documentation: what is not stopped below namespaces, honestly labelled
# --------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_what_is_not_stopped_is_graded_at_an_honestly_reported_level(graded, level, record_property):
    """The 'reach' batch: below namespaces the reference (open(), import past the hook), torch past the hook
    and the classmate (the grader's command line, /tmp) are within reach -- at every one of these levels
    read_reference gets 7/7 -- and below seccomp sockets, exec and the dangerous calls work too. The grader
    must at least say so: every result names the level it was graded at; the classmate is untouched."""
    o = graded("reach", level)
    lines = [_outcome_line(o, s) for s in REACH]
    record_property("outcome", "\n".join(lines))
    if os.environ.get("FCLEVELS_VERBOSE"):
        print("\n" + "\n".join(lines))
    labels = {n: r["isolation"] for n, r in o.results.items()}
    assert set(labels.values()) == {level}, f"results graded at {level!r} say otherwise: {labels}"
    assert all(r["status"] != "grader error" for r in o.results.values()), o.say()
    n = o.r(NEIGHBOUR)
    assert n["status"] == "ok" and n["score"] == n["max_score"], o.say()
