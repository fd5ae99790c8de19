"""The binary wire (checks.core.wire pack/unpack, message/parse) and the in-place check it feeds.

The wire is the hostile boundary: the runner (the submission's own process)
writes these bytes. Every malformed value or message is a WireError, never
an exception of another kind, never a value that was not sent.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from checks.core import wire
from checks.core.case import same

VALUES = [
    None, True, 3, -(2**70), 2.5, float("inf"), float("nan"), "s",
    np.float64(1.5), np.float32(2.0), np.int64(3), np.bool_(True), np.complex64(1 - 2j),
    np.array(3.0), np.zeros((0, 3)), np.zeros((4, 0, 2), dtype=np.int8), np.arange(6.0).reshape(2, 3).T,
    np.array([1, 2], dtype=">i4"), np.array([1 + 2j]), (1, [2.0, {"a": np.arange(3)}]), [[], ()],
    {"x": np.ones(2), "y": (np.zeros(1, dtype=np.float32), 7)}, {1, 2}, np.array(["a"]), {"a": 1, 2: 3},
]


def _u32(n: int) -> bytes:
    return struct.pack("<I", n)


def _value(tree, data: bytes = b"") -> bytes:
    t = json.dumps(tree).encode()
    return _u32(len(t)) + t + data


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_pack_decodes_to_what_the_json_form_decodes_to(value):
    back = wire.unpack(wire.pack(value))
    ref = wire.decode(wire.loads(wire.dumps(wire.encode(value))))
    assert type(back) is type(ref)
    assert repr(back) == repr(ref)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        assert back.dtype == value.dtype.newbyteorder("=") and back.shape == value.shape
        assert np.array_equal(back, value) and back.flags.writeable  # a copy, not a view of the message


def test_pack_is_deterministic_and_raw():
    a = np.arange(1000.0)
    b = wire.pack(a)
    assert b == wire.pack(a.copy()) == wire.pack(np.ascontiguousarray(a[::-1])[::-1])
    assert len(b) < a.nbytes + 100  # no base64: the bytes themselves
    assert wire.pack(np.arange(3.0)) != wire.pack(np.arange(3.0) + 1e-300)


def test_pack_caps():
    with pytest.raises(wire.WireError, match="key"):
        wire.pack({1: 2})
    with pytest.raises(wire.WireError, match="too large"):
        wire.pack(np.zeros(1 << 20), max_bytes=1 << 16)
    with pytest.raises(wire.WireError, match="too large"):
        wire.pack([np.zeros(1 << 12)] * 40, max_bytes=1 << 16)
    deep: list = []
    x = deep
    for _ in range(40):
        x.append([])
        x = x[0]
    with pytest.raises(wire.WireError, match="nested"):
        wire.pack(deep)


F8 = {"$": "nd", "d": "<f8", "s": [2]}


@pytest.mark.parametrize("buf", [
    b"", b"\x01\x00", _u32(100) + b"[1]",                                   # truncated
    _value(F8, b"\0" * 15),                                                 # one byte short
    _value(F8, b"\0" * 17),                                                 # one byte too many
    _value([1, 2], b"\0"),                                                  # bytes that belong to nothing
    _value({"$": "nd", "d": "|O8", "s": [1]}, b"\0" * 8),                   # object dtype
    _value({"$": "nd", "d": "<f8", "s": [-1]}),                             # negative shape
    _value({"$": "nd", "d": "<f8", "s": [1.5]}, b"\0" * 8),
    _value({"$": "nd", "d": "<f8", "s": [10**9, 10**9]}),                   # too many elements
    _value({"$": "nd", "d": "<f8", "s": [2], "b": "AAAAAAAAAAA="}, b"\0" * 16),  # extra key
    _value({"$": "nd", "d": "<f8"}, b"\0" * 8),                             # no shape
    _value({"$": "sc", "d": "<f8"}, b"\0" * 4),
    _value({"$": "pickle", "v": "gASVAAAAAAAAAAA="}),                       # unknown tag
    _value({"a": 1}), _value({"$": "int", "v": "1" * 2000}), _value({"$": "dict", "v": [[1, 2]]}),
    _value("x" * (wire.MAX_STR + 1)),
    _u32(2) + b"\x80\x04",                                                  # a pickle as the tree
    _u32(100000) + b"[" * 100000,                                           # deep JSON
    _value(json.loads("[" * 40 + "]" * 40)),                                # deeper than MAX_DEPTH
    b"\x80\x04K\x01.",
])
def test_unpack_rejects_malformed_values(buf):
    with pytest.raises(wire.WireError):
        wire.unpack(buf)


def test_unpack_rejects_non_bytes():
    for bad in (None, "text", [1], {"$": "nd"}):
        with pytest.raises(wire.WireError):
            wire.unpack(bad)


def test_message_round_trip_and_strictness():
    parts = (wire.pack(np.ones(3)), b"", b"x" * 10)
    h, got = wire.parse(wire.message({"k": "ok", "i": 3, "viol": None}, *parts))
    assert h == {"k": "ok", "i": 3, "viol": None} and got == list(parts)
    good = wire.message({"op": "done"}, b"abc")
    for bad in (b"", good[:-1], good + b"\0", good[:3], b"XXXX" + good[4:],
                json.dumps({"op": "done"}).encode(),                        # the old JSON frame
                wire.MAGIC + _u32(2) + b"[]",                               # a header that is not an object
                wire.MAGIC + _u32(3) + b"{\"a",                            # not JSON
                wire.message({"op": "x"}, *[b""] * (wire.MAX_PARTS + 1)),   # too many parts
                wire.MAGIC + _u32(2) + b"{}" + _u32(10**9)):                # a part longer than the message
        with pytest.raises(wire.WireError):
            wire.parse(bad)
    with pytest.raises(wire.WireError):
        wire.parse("not bytes")


def test_echo_bytes_equal_means_same_and_a_change_shows():
    """The supervisor's fast in-place rule: equal packed echoes imply same(); any change of bytes differs."""
    args = [np.arange(6.0).reshape(2, 3), 0.5, {"eps": 1e-5, "w": np.ones(2, dtype=np.float32)}, (1, [2.0])]
    pristine = wire.pack(args)
    copy = [args[0].copy(), 0.5, {"eps": 1e-5, "w": args[2]["w"].copy()}, (1, [2.0])]
    assert wire.pack(copy) == pristine and same(args, wire.unpack(pristine))
    copy[0][1, 2] = -0.0 if copy[0][1, 2] == 0 else 0.0
    assert wire.pack(copy) != pristine and not same(args, wire.unpack(wire.pack(copy)))
    copy = [args[0].copy(), 0.5, {"eps": 1e-5, "w": args[2]["w"].copy()}, (1, [2.0])]
    copy[2]["w"][0] = np.nan
    assert wire.pack(copy) != pristine


def _grader(ids):
    from dataclasses import replace

    from checks.grader.grade import Grader
    from checks.grader.rubric import Rubric

    return Grader(replace(Rubric()), ids=ids)


def test_in_place_is_caught_and_honest_arguments_pass(tmp_path):
    """The supervisor's rule: the runner's re-pickled arguments equal to the case's own bytes pass; a function
    that writes into its argument is caught (the packed arguments decoded and compared), on every run."""
    ids = ["activations.sigmoid", "activations.relu_backward", "activations.tanh_backward"]
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n"
                   "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))\n"
                   "def relu_backward(x, dy):\n    dy[np.asarray(x) <= 0] = 0.0\n    return dy\n"
                   "def tanh_backward(x, dy):\n    t = np.tanh(x)\n    out = dy * (1 - t * t)\n    x[...] = x\n"
                   "    return out\n")
    with _grader(ids) as g:
        for run in (1, 2):
            res = {t.id: t for t in g.grade_file(str(bad)).tests}
            assert res["activations.sigmoid"].passed, (run, res["activations.sigmoid"].feedback)
            assert res["activations.relu_backward"].verdict == "modified its arguments", (run, res)
            assert "argument #2 in place" in res["activations.relu_backward"].feedback
            # x[...] = x rewrites the same bytes: not a modification
            assert res["activations.tanh_backward"].passed, (run, res["activations.tanh_backward"].feedback)


def test_grad_fn_arguments_are_echoed_without_importing_the_project(tmp_path):
    """nag_step gets a grad_fn (checks.core.gradfns): pickling it again in the runner would import a module
    the submission may not import (a policy violation for the whole file); its arguments go packed instead."""
    from checks.grader import refsub

    ids = ["activations.sigmoid", "optim.nag_step"]
    ref = tmp_path / "ref.py"
    ref.write_text(refsub.build())
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n"
                   "def nag_step(theta, grad_fn, m, lr, beta):\n"
                   "    g = np.asarray(grad_fn(theta - beta * m))\n"
                   "    m *= beta\n    m += lr * g\n    return theta - m, m.copy()\n")
    with _grader(ids) as g:
        res = g.grade_file(str(ref))
        assert res.status == "ok" and res.score == res.max_score, (res.status, res.message)
        t = {x.id: x for x in g.grade_file(str(bad)).tests}["optim.nag_step"]
        assert t.verdict == "modified its arguments" and "argument #3 in place" in t.feedback, t.feedback


# -- the fast encoders and parser: the bytes and the refusals of the general ones --------------------------------

class _F(float):
    pass


class _S(str):
    pass


MORE = VALUES + [
    -0.0, float("-inf"), 1e-310, 2**63 - 1, -(2**63) + 1, 2**63, _F(0.1), _S("sub"), "é\ud800\x00\"\\\n" * 3,
    "x" * (wire.MAX_STR + 5), np.array([1.5, np.nan, -np.inf], dtype=">f8"), np.zeros((2, 3), dtype="<c8")[:, ::2],
    np.arange(4.0).view(np.matrix), np.float16(1.5), np.str_("s"), np.datetime64(1, "s"), np.array([1], dtype="M8[s]"),
    np.zeros(2, dtype=[("a", "<i4")]), {_S("k"): 1, "é": [None, False], np.str_("n"): np.arange(2)}, [(), [], {}],
    {"W": np.ones((2, 3)), "b": np.zeros(3)}, (np.ones(3), np.ones(3), np.ones((2, 2))), ([1, 2, 3], 0.5), object(),
]


def _reference_pack(value) -> bytes:
    """The binary form by its definition: the JSON form's tree (``encode`` with ``data``) as ``_JSON`` writes it."""
    data: list = []
    tree = json.JSONEncoder(separators=(",", ":"), allow_nan=True).encode(wire.encode(value, data=data)).encode()
    return _u32(len(tree)) + tree + b"".join(data)


@pytest.mark.parametrize("value", MORE, ids=lambda v: type(v).__name__)
def test_pack_writes_the_bytes_of_the_json_forms_tree(value):
    assert wire.pack(value) == _reference_pack(value)


def test_pack_refuses_what_it_refused():
    """Its own caps, not the JSON form's (a bool or None counts 24 bytes, as before): the same refusals."""
    for value, cap, what in [({1: 2}, 1 << 20, "key"), ([None] * 10, 100, "too large"), ("x" * 200, 150, "too large"),
                             ({"k" * 100: 1}, 120, "too large"), (np.float64(1), 47, "too large"), (10**1200, 1 << 20, "integer"),
                             (np.zeros(3), 87, "too large"), ([np.zeros(0)] * 3, 3 * 64 + 4, "too large")]:
        with pytest.raises(wire.WireError, match=what):
            wire.pack(value, cap)
    assert wire.pack(np.float64(1), 48) and wire.pack(np.zeros(3), 88) and wire.pack([None] * 10, 252)
    assert wire.pack([np.zeros(0)] * 3, 3 * 64 + 5)


@pytest.mark.parametrize("header", [
    {}, {"k": "ok", "i": 0, "viol": None}, {"op": "fatal", "error": "é\ud800\n\"q\""}, {"x": 1.5, "n": float("nan"), "t": True},
    {"i": -(10**30), "f": float("-inf"), "b": False}, {1: "int key"}, {_S("k"): 1}, {"v": _S("s")}, {"v": [1, {"a": 2}]},
    {"v": _F(2.5)}, {None: 1, True: 2, 2.5: 3}, [1, 2], "str", 3, None,
])
def test_dumps_writes_what_the_json_encoder_writes(header):
    assert wire.dumps(header) == json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    assert wire.parse(wire.message(header))[0] == json.loads(json.dumps(header)) if type(header) is dict else True


def test_dumps_refuses_what_the_json_encoder_refuses():
    for bad in ({"v": b"x"}, {"v": object()}, {(1, 2): 1}, {"v": np.int64(1)}):
        with pytest.raises(TypeError):
            wire.dumps(bad)
        with pytest.raises(TypeError):
            json.dumps(bad)


@pytest.mark.parametrize("text", [
    b"{}", b'{"k":"ok","i":3}', b" {}", b"{} ", b"\t[1]\n", "\ufeff{}".encode(), b"[" * 300 + b"]" * 300, b"[" * 200 + b"]" * 200,
    b"[1,]", b"NaN", b"-Infinity", b"1e999", b"01", b"-", b'"\\ud800"', b'{"a":1,"a":2}', b"", b"[1] [2]", b"9" * 5000,
    b"\x00", b"\xff", b'{"a":nan}', b"[1.]", b"[.5]", b'"\x01"', b"[1e5,2E-3,-0,-0.0]", b"{\"a\" : [ 1 ]}", b"[" * 2000,
])
def test_loads_takes_and_refuses_what_json_loads_does(text):
    """loads runs json's scanner itself on shallow text: the same values, the same refusals (as WireError)."""
    try:
        want = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        with pytest.raises(wire.WireError, match="not valid JSON"):
            wire.loads(text)
    else:
        assert repr(wire.loads(text)) == repr(want)
