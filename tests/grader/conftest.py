"""tests/grader: pytest rewrites the asserts of the hostile and levels tests' helper modules too (their
common checks, e.g. _hostile_checks.check_batch, were in the test files before the split), so that a
failure shows the compared values as it did. No fixtures here: each test file imports its own."""

import pytest

pytest.register_assert_rewrite("tests.grader._hostile_run", "tests.grader._hostile_user", "tests.grader._hostile_checks",
                               "tests.grader._levels_run", "tests.grader._levels_batches")
