"""Shared by tests/scale: a batch of small submissions, the formulas they are graded on, comparisons."""

from __future__ import annotations

from pathlib import Path

from checks.grader import refsub
from checks.scale.records import to_record

SUBS = Path(__file__).parent.parent / "submissions"
#: a few formulas: every submission below gets a different grade on them
IDS = ["activations.sigmoid", "activations.sigmoid_backward", "activations.relu_backward",
       "softmax.softmax", "softmax.cross_entropy", "softmax.cross_entropy_backward"]


def write_batch(d: Path) -> list[str]:
    """8 submissions: the reference, two with one wrong function, alternatives, malformed, hostile."""
    d.mkdir(parents=True, exist_ok=True)
    ref = refsub.build()
    (d / "ref.py").write_text(ref, encoding="utf-8")
    for n in ("wrong_softmax.py", "wrong_sigmoid_backward.py"):
        (d / n).write_text(ref + "\n" + (SUBS / n).read_text(encoding="utf-8"), encoding="utf-8")
    for n in ("alt_correct.py", "bad_syntax.py", "hostile_print.py", "hostile_raise_at_import.py", "bad_results.py"):
        (d / n).write_text((SUBS / n).read_text(encoding="utf-8"), encoding="utf-8")
    return sorted(str(p) for p in d.iterdir())


def comparable(res) -> dict:
    """Everything a result says but the time it took."""
    r = to_record(res)
    r.pop("seconds")
    return r


def assert_same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g is not None, f"{w.name}: no result"
        assert comparable(g) == comparable(w), f"{w.name}: the results differ"
