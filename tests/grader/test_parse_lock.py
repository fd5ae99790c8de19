"""refsub.build parses under policy._PARSE_LOCK: CPython 3.11 shares the AST constructor's recursion
depth between threads (python/cpython#106905), so two ast.parse at once (a job slot's policy.scan and
refsub.build in another thread) can fail with "AST constructor recursion depth mismatch"."""

from __future__ import annotations

import threading

from checks.grader import policy, refsub


def test_refsub_build_waits_for_the_parse_lock():
    out: list[str] = []
    t = threading.Thread(target=lambda: out.append(refsub.build()), daemon=True)
    with policy._PARSE_LOCK:
        t.start()
        t.join(3.0)
        assert t.is_alive() and not out, "refsub.build parsed while the parse lock was held"
    t.join(60)
    assert not t.is_alive() and out and out[0].startswith('"""The formulacheck reference implementation')
    assert not policy._PARSE_LOCK.locked()
