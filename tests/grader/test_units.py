"""Units of the grader: the rubric, the wire format, the static import policy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from checks import registry
from checks.core import wire
from checks.grader.policy import Policy, scan
from checks.grader.rubric import RubricError, load, parse


# ---------------------------------------------------------------- rubric

def test_rubric_defaults_come_from_the_registry():
    r = parse({})
    f = registry.get("softmax.softmax")
    assert r.points_for(f) == f.points
    assert r.examples_for(f, "grade") == round(100 * f.examples_scale)
    assert r.limits.timeout > 0 and r.policy.allowed == ("numpy", "scipy", "math")


def test_rubric_sets_points_limits_examples_and_policy(tmp_path):
    p = tmp_path / "rubric.toml"
    p.write_text(
        '[points]\n"softmax.softmax" = 5\n'
        '[policy]\nallowed_imports = ["numpy"]\n'
        '[limits]\ntimeout = 2.5\nmemory_mb = 1024\nmax_output_kb = 8\nmax_processes = 4\n'
        '[examples]\ndefault = 7\n"softmax.cross_entropy" = 11\n'
    )
    r = load(str(p))
    assert r.points_for(registry.get("softmax.softmax")) == 5
    assert r.limits.timeout == 2.5 and r.limits.memory_mb == 1024 and r.limits.max_processes == 4
    assert r.examples_for(registry.get("softmax.cross_entropy"), "grade") == 11
    assert r.examples_for(registry.get("softmax.softmax"), "grade") == max(1, round(7 * registry.get("softmax.softmax").examples_scale))
    assert r.policy.why_not("scipy") is not None and r.policy.why_not("numpy.linalg") is None


@pytest.mark.parametrize("data, needle", [
    ({"point": {}}, "did you mean 'points'"),
    ({"points": {"softmax.sofmax": 1}}, "did you mean 'softmax.softmax'"),
    ({"points": {"softmax.softmax": -1}}, "between 0"),
    ({"points": {"softmax.softmax": "2"}}, "must be a number"),
    ({"limits": {"timout": 3}}, "did you mean 'timeout'"),
    ({"limits": {"memory_mb": 1.5}}, "integer"),
    ({"examples": {"default": 0}}, "between 1"),
    ({"policy": {"allowed_imports": ["torch"]}}, "both allowed and forbidden"),
    ({"policy": {"allowed_imports": "numpy"}}, "must be a list"),
    ({"policy": {"allowed": []}}, "unknown key in [policy]"),
    ({"points": 3}, "must be a table"),
])
def test_rubric_errors_name_the_key(data, needle):
    with pytest.raises(RubricError) as e:
        parse(data)
    assert needle in str(e.value)


def test_rubric_file_errors(tmp_path):
    with pytest.raises(RubricError, match="no such file"):
        load(str(tmp_path / "missing.toml"))
    p = tmp_path / "bad.toml"
    p.write_text("[points\n")
    with pytest.raises(RubricError, match="not valid TOML"):
        load(str(p))


# ---------------------------------------------------------------- wire format

@pytest.mark.parametrize("value", [
    None, True, 3, -(2**70), 2.5, float("inf"), "s",
    np.float64(1.5), np.float32(2.0), np.int64(3), np.bool_(True),
    np.array(3.0), np.zeros((0, 3)), np.arange(6.0).reshape(2, 3).T, np.array([1, 2], dtype=">i4"),
    np.array([1 + 2j]), (1, [2.0, {"a": np.arange(3)}]), [[], ()],
])
def test_wire_round_trip(value):
    back = wire.decode(wire.loads(wire.dumps(wire.encode(value))))
    assert type(back) is type(value) or (isinstance(value, np.ndarray) and type(back) is np.ndarray)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype.newbyteorder("=") and back.shape == value.shape
        assert np.array_equal(back, value)
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert repr(back) == repr(value)


def test_wire_unknown_objects_become_named_placeholders():
    for v, name in [({1, 2}, "set"), (np.array(["a"]), "ndarray"), (object(), "object")]:
        back = wire.decode(wire.loads(wire.dumps(wire.encode(v))))
        assert isinstance(back, wire.Opaque) and type(back).__name__.startswith(name)


def test_wire_encode_refuses_non_str_keys_and_huge_results():
    with pytest.raises(wire.WireError, match="key"):
        wire.encode({1: 2})
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(np.zeros(1 << 20), max_bytes=1 << 16)
    deep: list = []
    x = deep
    for _ in range(100):
        x.append([])
        x = x[0]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(deep)


@pytest.mark.parametrize("msg", [
    {"$": "nd", "d": "|O8", "s": [1], "b": "AAAAAAAAAAA="},                 # object dtype
    {"$": "nd", "d": "<f8", "s": [2], "b": "AAAAAAAAAAA="},                 # size does not match
    {"$": "nd", "d": "<f8", "s": [-1], "b": ""},                            # negative shape
    {"$": "nd", "d": "<f8", "s": [1], "b": "not base64!"},
    {"$": "nd", "d": "<f8", "s": [1], "b": "AAAAAAAAAAA=", "x": 1},         # extra key
    {"$": "pickle", "v": "gASVAAAAAAAAAAA="},                              # unknown tag
    {"a": 1},                                                               # a bare object
    {"$": "int", "v": "1" * 2000},
    {"$": "dict", "v": [[1, 2]]},
])
def test_wire_decode_rejects_garbage(msg):
    with pytest.raises(wire.WireError):
        wire.decode(msg)


def test_wire_loads_rejects_non_json():
    with pytest.raises(wire.WireError):
        wire.loads(b"\x80\x04K\x01.")  # a pickle
    with pytest.raises(wire.WireError):
        wire.loads(b"[" * 100000)
    assert wire.decode(json.loads("[1, 2.5, null]")) == [1, 2.5, None]


# ---------------------------------------------------------------- static policy

@pytest.mark.parametrize("src, bad", [
    ("import torch", "torch"),
    ("import torch.nn as nn", "torch"),
    ("from jax import numpy as jnp", "jax"),
    ("import tensorflow as tf", "tensorflow"),
    ("from autograd import grad", "autograd"),
    ("from reference.softmax import softmax", "reference"),
    ("import checks.run.check", "checks"),
    ("x = __import__('torch')", "torch"),
    ("import importlib\nm = importlib.import_module('reference')", "reference"),
    ("import pandas", "pandas"),
    ("def f():\n    import torch\n", "torch"),
    ("from . import x", "relative"),
])
def test_policy_scan_finds_violations(src, bad):
    res = scan(src, Policy())
    assert res.violations and bad in res.violations[0], res.violations


@pytest.mark.parametrize("src", [
    "import numpy as np\nimport math, heapq, itertools\nfrom collections import defaultdict",
    "import numpy.linalg\nfrom numpy import einsum",
    "import scipy.special",
    "x = __import__(name)",  # not a literal: the worker's import hook decides at run time
])
def test_policy_scan_allows(src):
    res = scan(src, Policy())
    assert res.violations == [] and res.syntax_error is None


def test_policy_scan_reports_syntax_errors():
    assert "line 1" in scan("def f(:\n", Policy()).syntax_error
    assert scan(r"x = '\0'", Policy()).syntax_error is None
    assert scan("a\0b", Policy()).syntax_error is not None
