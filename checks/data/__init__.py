"""Data shipped with the package: the PUBLIC grading vectors (``public-vectors.zip``).

Built with ``formulacheck vectors build --public --out checks/data/public-vectors.zip``
(the default seed, :data:`checks.run.draw.DEFAULT_SEED`); CI checks its answers
with ``formulacheck vectors check``. Students grade themselves against it;
official grades use an instructor's hidden file (docs/grading.md).
"""

import os

PUBLIC_VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "public-vectors.zip")
