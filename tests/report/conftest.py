import pytest

from tests.report import _batch


@pytest.fixture(scope="session")
def real_batch(tmp_path_factory):
    """(json dir, grades.csv) of the real grader on the batch of :mod:`tests.report._batch` (graded once per worker)."""
    return _batch.grade(tmp_path_factory.mktemp("batch"))
