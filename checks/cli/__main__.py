"""``python -m checks.cli``: the same as ``formulacheck``."""

import sys

from checks.cli import main

sys.exit(main())
