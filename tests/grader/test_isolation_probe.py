"""isolation.detect: the bwrap probe waits in a thread while the seccomp probe and the cgroup check run.

Fake ``bwrap`` executables on PATH (one that prints ok, one that fails with a message, one that hangs
past the probe's timeout, none at all) x the seccomp probe's answers (available, no library, no
effect; monkeypatched) x the cgroup check's (monkeypatched): detect() gives the Capabilities, the
levels and the reasons of the probes run one after the other (bwrap's first), each reason in its own
field; a hanging bwrap costs the probe's timeout, not more; the probes do overlap; an exception of a
probe is raised as one after the other would raise it, and nothing is cached then.

The probe's timeout (30 s) is lowered for the hanging fake by a stand-in for isolation's ``subprocess``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import types

import pytest

from checks.grader import cgroups, isolation
from checks.worker import filter as scfilter

TIMEOUT = 1  # seconds: the bwrap probe's timeout for the hanging fake (isolation's, 30, for the others)
FAIL_MSG = "bwrap: setting up uid map: Permission denied"
BWRAPS = {
    "ok": "#!/bin/sh\necho ok\n",
    "fails": f"#!/bin/sh\necho 'some warning' >&2\necho '{FAIL_MSG}' >&2\nexit 1\n",
    "exit-0-silent": "#!/bin/sh\nexit 0\n",
    "hangs": "#!/bin/sh\nexec /bin/sleep 300\n",
    "missing": None,
}
NO_LIB = "libseccomp is not usable (ImportError: no pyseccomp in this test); install the pyseccomp package and libseccomp2"
NO_EFFECT = "a seccomp filter cannot be loaded here (no effect)"
SECCOMP = {  # name -> (scfilter.available(), _try_seccomp())
    "available": (None, ""),
    "no-library": (NO_LIB, "must not be called"),
    "no-effect": (None, NO_EFFECT),
}
CGROUPS = {"v2": ("v2", ""), "none": (None, "no cgroup here (test)")}
ROOT = os.geteuid() == 0


class Machine:
    """The monkeypatched machine of one test: the fake bwrap on PATH, the seccomp and cgroup answers."""

    def __init__(self, tmp_path, monkeypatch, bwrap: str, seccomp: str, cgroup: str = "v2", timeout: float = 30):
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.path = None
        if BWRAPS[bwrap] is not None:
            p = self.bin / "bwrap"
            p.write_text(BWRAPS[bwrap])
            p.chmod(0o755)
            self.path = str(p)
        monkeypatch.setenv("PATH", str(self.bin))  # no other bwrap can be found
        self.runs: list[list[str]] = []
        self.seccomp_threads: list[str] = []
        avail, tried = SECCOMP[seccomp]

        def run(argv, **kw):
            self.runs.append(list(argv))
            kw["timeout"] = min(kw.get("timeout") or timeout, timeout)
            return subprocess.run(argv, **kw)

        shim = types.SimpleNamespace(run=run, TimeoutExpired=subprocess.TimeoutExpired, DEVNULL=subprocess.DEVNULL,
                                     PIPE=subprocess.PIPE)
        monkeypatch.setattr(isolation, "subprocess", shim)
        monkeypatch.setattr(scfilter, "available", lambda: avail)

        def try_seccomp() -> str:
            assert tried != "must not be called", "the seccomp probe ran although libseccomp is not usable"
            self.seccomp_threads.append(threading.current_thread().name)
            return tried

        monkeypatch.setattr(isolation, "_try_seccomp", try_seccomp)
        monkeypatch.setattr(cgroups, "available", lambda: CGROUPS[cgroup])
        monkeypatch.setattr(isolation, "_CAPS", None)  # restored after the test: no fake caps leak out


def sequential() -> isolation.Capabilities:
    """The detection of before the thread: the probes one after the other, bwrap's first."""
    bwrap = shutil.which("bwrap")
    why = isolation._try_bwrap(bwrap) if bwrap is not None else "bubblewrap (bwrap) is not installed"
    sc_why = scfilter.available() or isolation._try_seccomp()
    cg, cg_why = cgroups.available()
    return isolation.Capabilities(bwrap if not why else None, why, sc_why, os.geteuid() == 0, cg, cg_why)


def expected_bwrap_why(bwrap: str) -> str | None:
    """The reason for each fake (None: checked by the caller, it names the argv)."""
    return {"ok": "", "fails": f"bwrap failed here ({FAIL_MSG})", "exit-0-silent": "bwrap failed here (exit code 0)",
            "hangs": None, "missing": "bubblewrap (bwrap) is not installed"}[bwrap]


def expected_levels(bwrap_works: bool, seccomp_works: bool) -> dict:
    """level_for(caps, drop_privileges) for drop_privileges False / True, from the table in the docs."""
    sc = "+seccomp" if seccomp_works else ""
    if bwrap_works:
        return {False: "namespaces" + sc, True: "namespaces" + sc}
    low = "seccomp" if seccomp_works else "none"
    return {False: low, True: ("seccomp+uid" if seccomp_works else "uid") if ROOT else low}


@pytest.mark.parametrize("cgroup", sorted(CGROUPS))
@pytest.mark.parametrize("seccomp", sorted(SECCOMP))
@pytest.mark.parametrize("bwrap", sorted(BWRAPS))
def test_detect_gives_what_the_probes_one_after_the_other_give(tmp_path, monkeypatch, bwrap, seccomp, cgroup):
    m = Machine(tmp_path, monkeypatch, bwrap, seccomp, cgroup, timeout=TIMEOUT if bwrap == "hangs" else 30)
    t = time.monotonic()
    caps = isolation.detect(refresh=True)
    took = time.monotonic() - t
    assert took < TIMEOUT + 20, f"detect took {took:.1f} s"  # a hanging bwrap costs the probe's timeout, not more

    # each reason in its own field, as the fake and the monkeypatched probes give them
    want_why = expected_bwrap_why(bwrap)
    if want_why is None:
        assert caps.bwrap_why.startswith("bwrap could not run: Command ") and caps.bwrap_why.endswith(
            f"timed out after {TIMEOUT} seconds"), caps.bwrap_why
        assert m.path in caps.bwrap_why
    else:
        assert caps.bwrap_why == want_why
    assert caps.bwrap == (m.path if bwrap == "ok" else None)
    assert caps.seccomp_why == {"available": "", "no-library": NO_LIB, "no-effect": NO_EFFECT}[seccomp]
    assert (caps.cgroup, caps.cgroup_why) == CGROUPS[cgroup]
    assert caps.root is ROOT
    # the bwrap probe ran the fake once, with the probe's command line; the seccomp probe ran here
    assert [r[0] for r in m.runs] == ([m.path] if m.path else [])
    if m.path:
        assert m.runs[0] == isolation._bwrap_probe(m.path)
    assert m.seccomp_threads == ([] if seccomp == "no-library" else [threading.current_thread().name])
    for drop in (False, True):
        assert isolation.level_for(caps, drop) == expected_levels(bwrap == "ok", seccomp == "available")[drop]
    # cached: the same object without probing again
    n = len(m.runs)
    assert isolation.detect() is caps and len(m.runs) == n

    # the same as one probe after the other (the timed-out command line is the same: same argv, same timeout)
    assert sequential() == caps


def test_the_probes_overlap(tmp_path, monkeypatch):
    """The fake bwrap prints ok only once the seccomp probe has ended (it waits for its file): one
    probe after the other (bwrap's first) would time out."""
    done = tmp_path / "seccomp-done"
    m = Machine(tmp_path, monkeypatch, "missing", "available", timeout=15)
    (m.bin / "bwrap").write_text(f"#!/bin/sh\nfor i in $(seq 1 140); do [ -e '{done}' ] && exec echo ok; sleep 0.1; done\n"
                                 "echo 'the seccomp probe did not end while bwrap ran' >&2; exit 1\n")
    (m.bin / "bwrap").chmod(0o755)

    def try_seccomp() -> str:
        m.seccomp_threads.append(threading.current_thread().name)
        done.write_text("")
        return NO_EFFECT

    monkeypatch.setattr(isolation, "_try_seccomp", try_seccomp)
    caps = isolation.detect(refresh=True)
    assert caps.bwrap_why == "" and caps.bwrap == str(m.bin / "bwrap")
    assert caps.seccomp_why == NO_EFFECT
    assert m.seccomp_threads == [threading.current_thread().name]
    assert isolation.level_for(caps, True) == "namespaces"


@pytest.mark.parametrize("raises", ["bwrap", "seccomp", "cgroup", "both"])
def test_a_probe_that_raises_raises_as_one_after_the_other(tmp_path, monkeypatch, raises):
    Machine(tmp_path, monkeypatch, "ok", "no-effect")

    class BwrapBroke(Exception):
        pass

    class SeccompBroke(Exception):
        pass

    def bwrap_why(argv):
        if raises in ("bwrap", "both"):
            raise BwrapBroke("bwrap probe")
        return ""

    def try_seccomp():
        if raises in ("seccomp", "both"):
            raise SeccompBroke("seccomp probe")
        return ""

    def cgroups_available():
        if raises == "cgroup":
            raise SeccompBroke("cgroup check")
        return "v2", ""

    monkeypatch.setattr(isolation, "_bwrap_why", bwrap_why)
    monkeypatch.setattr(isolation, "_try_seccomp", try_seccomp)
    monkeypatch.setattr(cgroups, "available", cgroups_available)
    want = BwrapBroke if raises in ("bwrap", "both") else SeccompBroke
    with pytest.raises(want):
        isolation.detect(refresh=True)
    with pytest.raises(want):
        sequential_with(bwrap_why)
    assert isolation._CAPS is None  # nothing cached: the next detect probes again
    monkeypatch.setattr(isolation, "_bwrap_why", lambda argv: "")
    monkeypatch.setattr(isolation, "_try_seccomp", lambda: "")
    monkeypatch.setattr(cgroups, "available", lambda: ("v2", ""))
    assert isolation.level_for(isolation.detect(), True) == "namespaces+seccomp"


def sequential_with(bwrap_why) -> isolation.Capabilities:
    """sequential() with the bwrap probe's subprocess replaced (as detect's monkeypatched _bwrap_why)."""
    bwrap = shutil.which("bwrap")
    why = bwrap_why(isolation._bwrap_probe(bwrap))
    sc_why = scfilter.available() or isolation._try_seccomp()
    cg, cg_why = cgroups.available()
    return isolation.Capabilities(bwrap if not why else None, why, sc_why, os.geteuid() == 0, cg, cg_why)


# --------------------------------------------------------------------------
# detect_ahead: the CLI starts the probes while it imports the grader
# --------------------------------------------------------------------------

def test_detect_ahead_probes_once_in_the_background_and_detect_waits_for_it(tmp_path, monkeypatch):
    """The fake bwrap takes 1 s: detect_ahead() returns at once; detect() then waits for that very probe
    (the same Capabilities, the bwrap probe run once, the seccomp probe in the background thread); a
    second detect_ahead() starts nothing."""
    m = Machine(tmp_path, monkeypatch, "missing", "available")
    (m.bin / "bwrap").write_text("#!/bin/sh\nsleep 1\necho ok\n")
    (m.bin / "bwrap").chmod(0o755)
    monkeypatch.setattr(isolation, "_AHEAD", None)
    t = time.monotonic()
    isolation.detect_ahead()
    assert time.monotonic() - t < 0.5, "detect_ahead waited for the probes"
    isolation.detect_ahead()
    caps = isolation.detect()
    assert time.monotonic() - t >= 1.0
    assert [r[0] for r in m.runs] == [str(m.bin / "bwrap")]
    assert m.seccomp_threads == ["formulacheck-detect"]
    isolation.detect_ahead()  # after the end: nothing more
    assert isolation.detect() is caps and len(m.runs) == 1
    assert caps.bwrap == str(m.bin / "bwrap") and caps.seccomp_why == "" and caps == sequential()


def test_a_probe_that_raised_ahead_is_raised_by_detect(tmp_path, monkeypatch):
    """What the background detection raised is not lost: detect() probes again and raises it."""
    Machine(tmp_path, monkeypatch, "ok", "available")
    monkeypatch.setattr(isolation, "_AHEAD", None)
    calls = []

    class Broke(Exception):
        pass

    def bwrap_why(argv):
        calls.append(threading.current_thread().name)
        raise Broke("bwrap probe")

    monkeypatch.setattr(isolation, "_bwrap_why", bwrap_why)
    isolation.detect_ahead()
    isolation._AHEAD.join(10)
    with pytest.raises(Broke):
        isolation.detect()
    assert len(calls) == 2 and isolation._CAPS is None


# --------------------------------------------------------------------------
# the real probe: a sandbox of the worker's file system must hold what the worker needs
# --------------------------------------------------------------------------

def _without(argv: list[str], dest) -> list[str]:
    """``argv`` without the --ro-bind whose destination ``dest(d)`` accepts."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--ro-bind" and dest(argv[i + 2]):
            i += 3
            continue
        out.append(argv[i])
        i += 1
    assert len(out) < len(argv), "no such bind in the probe's command line"
    return out


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_real_probe_fails_when_the_sandbox_lacks_what_the_worker_needs():
    """The probe (the worker's file system, no numpy import) passes as it is, and fails, naming what is
    missing, without numpy's bundled libraries, without numpy, without one of the worker's modules."""
    bwrap = shutil.which("bwrap")
    argv = isolation._bwrap_probe(bwrap)
    ok = isolation._bwrap_why(argv)
    if ok.startswith("bwrap failed here") and "numpy" not in ok and "Assertion" not in ok:
        pytest.skip(f"namespaces are not to be had here: {ok}")
    assert ok == ""
    libs = [d for d in argv if d.startswith("/fc/site/numpy.libs")]
    if libs:  # a wheel's numpy (a distribution's links the system's libraries)
        why = isolation._bwrap_why(_without(argv, lambda d: d.startswith("/fc/site/numpy.libs")))
        assert why.startswith("bwrap failed here (OSError: ") and ".so" in why, why
    why = isolation._bwrap_why(_without(argv, lambda d: d == "/fc/site/numpy"))
    assert why == "bwrap failed here (AssertionError: numpy has no _multiarray_umath here)", why
    why = isolation._bwrap_why(_without(argv, lambda d: d == "/fc/lib/checks/worker/runner.py"))
    assert why == "bwrap failed here (AssertionError: checks.worker.runner)", why
