"""The worker's fast paths: the same bytes, the same checks, the same verdicts as the slow paths.

- the runner's echo writer (``_flat_echo``) writes pickle's bytes, and any
  change of an argument (data, shape, dtype, strides, writeable flag)
  changes them;
- the restricted unpickler's remembered globals and faster ``_frombuffer``
  give the arrays pickle gives, and still refuse what they refused;
- the supervisor's fast path for the common reply (``forward_ok``) takes
  the honest reply only: for forged and malformed replies the supervisor
  sends the grader exactly the bytes it sends with the fast path turned off
  (the slow path: the wire parse and every check), and an end-to-end
  submission that forges replies on its own socket fails as it should while
  an honest neighbour keeps full marks.
"""

from __future__ import annotations

import pickle
import random
import socket
import threading
import warnings

import numpy as np
import pytest

from checks.core import wire
from checks.worker import common
from checks.worker import runner as R
from checks.worker import serve as S
from checks.worker.frames import HDR

DTYPES = ["f8", "f4", "i8", "i4", "u1", "?", "c16", ">f8", "<i2", "f2", "u8", ">i8"]


def _array(rng: random.Random) -> np.ndarray:
    shape = tuple(rng.choice([0, 1, 2, 3, 300]) if rng.random() < 0.1 else rng.randint(0, 4)
                  for _ in range(rng.randint(0, 5)))
    if int(np.prod(shape)) > 3000:
        shape = (2,)
    a = (np.arange(int(np.prod(shape))) * 1.5).astype(rng.choice(DTYPES)).reshape(shape)
    if rng.random() < 0.1:
        a = a.T
    if rng.random() < 0.2:
        a.flags.writeable = False
    if rng.random() < 0.1:
        a = np.zeros(rng.choice([40, 300, 5000]))
    return a


def _args(rng: random.Random) -> tuple:
    pool: list = []
    out = []
    for _ in range(rng.randint(0, 6)):
        if pool and rng.random() < 0.15:
            v = rng.choice(pool)  # the same object twice: pickle's memo
        else:
            v = [None, True, False, rng.randint(-2 ** 33, 2 ** 33), rng.choice([0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1]),
                 rng.random() * 1e3, float("nan"), -0.0, _array(rng), _array(rng)][rng.randint(0, 9)]
        pool.append(v)
        out.append(v)
    args = tuple(out)
    return pickle.loads(pickle.dumps(args, protocol=5)) if rng.random() < 0.5 else args  # as the runner has them


def test_the_echo_writer_writes_pickles_bytes():
    assert R._FLAT_OK
    rng = random.Random(7)
    written = 0
    for _ in range(6000):
        args = _args(rng)
        e = R._flat_echo(args)
        if e is not None:
            written += 1
            assert e == pickle.dumps((args, {}), protocol=5), args
    assert written > 3000  # most of them: not a writer that gives up


def test_the_echo_writer_leaves_other_arguments_to_pickle():
    a = np.zeros((3, 4))
    for args in [(a.T,), (a[:, ::2],), (np.zeros(3, object),), ("text",), ([1, 2],), ({"a": 1.0},), (2 ** 40,),
                 (np.float64(1.0),), (np.zeros(5000),), (np.zeros(3).view(np.matrix),)]:
        assert R._flat_echo(args) is None, args
        blob = pickle.dumps((args, {}), protocol=5)
        assert R._echo(args, {}, blob) == R._dumps((args, {}))  # pickle's own bytes, as before


def _changes():
    def data(a):
        a[0, 0] = 1.0

    def negzero(a):
        a[0, 0] = -0.0

    def shape(a):
        a.shape = (2, 6)

    def dtype(a):
        a.dtype = np.int64

    def strides(a):
        with warnings.catch_warnings():  # deprecated in numpy 2.4, still possible
            warnings.simplefilter("ignore", DeprecationWarning)
            a.strides = (8, 24)

    def readonly(a):
        a.flags.writeable = False

    return [data, negzero, shape, dtype, strides, readonly]


@pytest.mark.parametrize("change", _changes(), ids=lambda f: f.__name__)
def test_any_change_of_an_argument_changes_the_echo(change):
    blob = pickle.dumps(((np.zeros((4, 3)), 2.5, np.ones(3)), {}), protocol=5)
    args, kwargs = common.loads(blob)
    assert R._echo(args, kwargs, blob) == blob  # untouched: the case's very bytes
    change(args[0])
    assert R._echo(args, kwargs, blob) != blob


def test_the_unpickler_gives_pickles_arrays_and_refuses_the_rest():
    base = np.arange(24.0).reshape(4, 6)
    for a in [base, base.T, base[:, ::2], np.asfortranarray(base), np.zeros(()), np.zeros((0, 3), np.int32),
              base.astype(">f4"), np.ones(5, bool)]:
        blob = pickle.dumps(((a,), {}), protocol=5)
        mine, theirs = common.loads(blob)[0][0], pickle.loads(blob)[0][0]
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape and mine.strides == theirs.strides
        assert mine.tobytes() == theirs.tobytes() and mine.flags == theirs.flags
        assert type(mine.base) is type(theirs.base)
        assert pickle.dumps(mine, protocol=5) == pickle.dumps(theirs, protocol=5)
    for _ in range(2):  # remembered or not: refused
        with pytest.raises(pickle.UnpicklingError):
            common.loads(pickle.dumps(((socket.socket,), {}), protocol=5))


def test_the_unpickler_follows_a_replaced_global(monkeypatch):
    blob = pickle.dumps(((np.dtype,), {}), protocol=5)
    assert common.loads(blob)[0][0] is np.dtype  # remembered now

    class Other:
        pass

    monkeypatch.setattr(np, "dtype", Other)
    assert common.loads(blob)[0][0] is Other  # what pickle's own lookup finds


# ---------------------------------------------------------------- the supervisor's fast path

class _Exit(Exception):
    pass


def _serve(monkeypatch, replies: bytes, blobs: list, fast: bool) -> bytes:
    """What the supervisor sends the grader for a run of ``blobs`` when the runner writes ``replies``."""
    sup = S.Supervisor({"max_result_mb": 1})
    mine, theirs = socket.socketpair()
    sup.rsock, sup.reader, sup.runner_pid = mine, S.FrameReader(mine.fileno()), -1
    sent: list = []

    def flush():
        sent.append(b"".join(sup.pending))
        sup.pending.clear()

    def exit_(code):
        raise _Exit

    monkeypatch.setattr(sup, "flush", flush)
    monkeypatch.setattr(sup, "stop_runner", lambda: None)
    monkeypatch.setattr(sup, "_wait_runner", lambda block: setattr(sup, "runner_pid", None))
    monkeypatch.setattr(S, "_exit", exit_)
    if not fast:
        monkeypatch.setattr(sup, "forward_ok", lambda raw, i, blob: False)

    def feed():
        theirs.recv(1 << 24)
        theirs.sendall(replies)
        theirs.shutdown(socket.SHUT_WR)

    th = threading.Thread(target=feed)
    th.start()
    try:
        sup.run({"fn": "f", "cases": blobs, "fresh": True, "max_bytes": 1 << 20})
        sup.flush()
    except _Exit:
        pass
    th.join()
    mine.close()
    theirs.close()
    return b"".join(sent)


def _frame(payload: bytes) -> bytes:
    return HDR.pack(len(payload)) + payload


BLOBS = [pickle.dumps(((np.full(3, float(i)),), {}), protocol=5) for i in range(3)]
VALUE = wire.pack(np.arange(3.0))
DONE = _frame(wire.message({"op": "done"}))


def _ok(i: int, value: bytes = VALUE, echo: bytes | None = None, header: dict | None = None, *more) -> bytes:
    return wire.message(header or {"k": "ok", "i": i}, value, BLOBS[i] if echo is None else echo, *more)


def _honest() -> list:
    return [_ok(i) for i in range(3)]


def _variants():
    """(name, the runner's messages): forged and malformed replies for case 1 between honest ones."""
    h = _honest()
    right = h[1]
    pre = R.ok_prefix(1)
    echo_at = len(right) - len(BLOBS[1])
    flipped = bytearray(right)
    flipped[-5] ^= 1
    packed_args = wire.pack([[np.full(3, 1.0)], {}])
    moved = wire.pack([[np.full(3, 7.0)], {}])
    bad = {
        "honest": right,
        "wrong index": _ok(1, header={"k": "ok", "i": 2}),
        "a violation": _ok(1, header={"k": "ok", "i": 1, "viol": ["imported torch"]}),
        "spaces in the header": wire.MAGIC + R._U32LE(18) + b'{"k":"ok", "i": 1}' + right[len(pre):],
        "keys swapped": _ok(1, header={"i": 1, "k": "ok"}),
        "echo one bit off": bytes(flipped),
        "echo one byte short": right[:-1],
        "echo one byte long": _ok(1, echo=BLOBS[1] + b"\0"),
        "echo of another case": _ok(1, echo=BLOBS[0]),
        "echo length past the end": right[:echo_at - 4] + R._U32LE(len(BLOBS[1]) + 9) + BLOBS[1],
        "value length past the end": pre + R._U32LE(1 << 20) + right[len(pre) + 4:],
        "value length short": pre + R._U32LE(len(VALUE) - 1) + right[len(pre) + 4:],
        "one part": wire.message({"k": "ok", "i": 1}, VALUE),
        "three parts, untouched": _ok(1, VALUE, None, None, packed_args),
        "three parts, moved": _ok(1, VALUE, b"x", None, moved),
        "trailing bytes": right + b"\0",
        "truncated header length": right[:6],
        "magic wrong": b"FCW\x01" + right[4:],
        "garbage value": _ok(1, value=b"\xff" * 12),
        "not ok": wire.message({"k": "exc", "i": 1, "msg": "boom"}),
        "five parts": _ok(1, VALUE, None, None, b"a", b"b", b"c"),
    }
    return [(name, [h[0], m, h[2]]) for name, m in bad.items()]


@pytest.mark.parametrize("name,messages", _variants(), ids=[n for n, _ in _variants()])
def test_the_fast_path_answers_as_the_slow_path(monkeypatch, name, messages):
    replies = b"".join(_frame(m) for m in messages) + DONE
    fast = _serve(monkeypatch, replies, BLOBS, fast=True)
    slow = _serve(monkeypatch, replies, BLOBS, fast=False)
    assert fast == slow, name
    if name == "honest":  # the value forwarded as it came, in the frame wire.message writes
        assert fast == b"".join(_frame(wire.message({"k": "ok", "i": i, "viol": None}, VALUE)) for i in range(3)) + \
            _frame(wire.message({"op": "done", "viol": None}))


def test_forward_ok_takes_the_common_reply_only():
    sup = S.Supervisor({"max_result_mb": 1})
    for name, messages in _variants():
        sup.pending = []
        took = sup.forward_ok(messages[1], 1, BLOBS[1])
        # a value is forwarded unread by both paths (the grader decodes it strictly)
        assert took == (name in ("honest", "garbage value")), name
        assert bool(sup.pending) == took
    for i in (0, 7, 300, 511, 512, 100000):  # past the table of prefixes too
        blob = pickle.dumps(((np.zeros(2),), {}), protocol=5)
        sup.pending = []
        assert sup.forward_ok(wire.message({"k": "ok", "i": i}, VALUE, blob), i, blob)
        assert b"".join(sup.pending) == _frame(wire.message({"k": "ok", "i": i, "viol": None}, VALUE))
        assert not sup.forward_ok(wire.message({"k": "ok", "i": i}, VALUE, blob), i + 1, blob)


def test_the_runner_frames_the_common_reply_as_wire_message_does():
    class Quiet(R.Runner):
        def __init__(self):
            self.violations, self.cfg, self.filename, self.module, self.progress = [], {"memory_mb": 1}, "s.py", None, None
            self.module = type("M", (), {"__dict__": {}})
            self.out = []

        def _write(self, frames):
            self.out.append(b"".join(frames))

        def send(self, obj, *parts):
            pass

    r = Quiet()
    fn = lambda x: x * 2  # noqa: E731
    r.module = type("M", (), {})()
    r.module.__dict__["f"] = fn
    blobs = [pickle.dumps(((np.arange(3.0) + i,), {}), protocol=5) for i in range(600)]
    r.run({"fn": "f", "cases": blobs, "fresh": True, "max_bytes": 1 << 20})
    want = b"".join(_frame(wire.message({"k": "ok", "i": i}, wire.pack(np.arange(3.0) * 2 + 2 * i), blobs[i]))
                    for i in range(600))
    assert b"".join(r.out) == want
    r.out, r.violations = [], ["imported torch"]  # a violation: the header says so, through wire.message
    r.run({"fn": "f", "cases": blobs[:2], "fresh": True, "max_bytes": 1 << 20})
    assert b"".join(r.out) == b"".join(
        _frame(wire.message({"k": "ok", "i": i, "viol": ["imported torch"]}, wire.pack(np.arange(3.0) * 2 + 2 * i),
                            blobs[i])) for i in range(2))


# ---------------------------------------------------------------- end to end, in the sandbox

FORGER = '''
import os, pickle, socket, stat, struct
import numpy as np

_MAGIC = b"FCW\\x02"
_done = []

def _u32(n):
    return struct.pack("<I", n)

def _msg(header, *parts):
    out = _MAGIC + _u32(len(header)) + header
    for p in parts:
        out += _u32(len(p)) + p
    return struct.pack(">I", len(out)) + out

def _value(a):
    tree = ('{"$":"nd","d":"<f8","s":[%d]}' % a.size).encode()
    return _u32(len(tree)) + tree + a.tobytes()

def _bad_part(v):
    h = b'{"k":"ok","i":0}'
    out = _MAGIC + _u32(len(h)) + h + _u32(len(v) + 100) + v
    return struct.pack(">I", len(out)) + out

def _sock():
    for name in os.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                return int(name)
        except OSError:
            pass

def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    y = 1.0 / (1.0 + np.exp(-x))
    if not _done:  # before the runner's own reply for case 0: a forged one
        _done.append(1)
        echo = pickle.dumps(((x,), {{}}), protocol=5)
        os.write(_sock(), {forged})
    return y

def tanh_backward(x, dy):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return np.asarray(dy, dtype=np.float64) * (1.0 - t * t)
'''

FORGED = {  # what the forger writes before the runner's own reply for case 0 -> the feedback of sigmoid
    # the echo of its arguments, not the case's bytes, no packed arguments: the slow path's checks (an in-place
    # verdict for case 0, then the runner's own reply comes as case 1's: a malformed reply)
    "echo not the case": ('_msg(b\'{"k":"ok","i":0}\', _value(y), echo[:-1] + b"x")', "broke the protocol"),
    # a part announcing more bytes than its frame holds: not a wire message
    "part past its end": ('_bad_part(_value(y))', "sent unreadable data"),
    # the right header for the wrong case
    "wrong index": ('_msg(b\'{"k":"ok","i":5}\', _value(y), echo)', "broke the protocol"),
}


@pytest.fixture(scope="module")
def grader():
    from dataclasses import replace

    from checks.grader.grade import Grader
    from checks.grader.rubric import Limits, Rubric

    rub = replace(Rubric(), examples_default=10, limits=replace(Limits(), timeout=5.0))
    with Grader(rub, ids=["activations.sigmoid", "activations.tanh_backward"]) as g:
        yield g


@pytest.mark.parametrize("what", sorted(FORGED))
def test_a_forged_reply_fails_and_the_neighbour_keeps_full_marks(grader, tmp_path, what):
    from checks.grader.refsub import build

    forged, verdict = FORGED[what]
    p = tmp_path / "forger.py"
    p.write_text(FORGER.replace("{forged}", forged).replace("{{}}", "{}"), encoding="utf-8")
    res = grader.grade_file(str(p))
    t = {x.id: x for x in res.tests}
    sig = t["activations.sigmoid"]
    assert str(sig.verdict) == "crashed" and sig.score == 0, sig.feedback
    assert verdict in sig.feedback, sig.feedback
    assert t["activations.tanh_backward"].passed, t["activations.tanh_backward"].feedback
    ref = tmp_path / "ref.py"
    ref.write_text(build(), encoding="utf-8")
    r = grader.grade_file(str(ref))
    assert r.status == "ok" and r.score == r.max_score, (r.status, r.message)
