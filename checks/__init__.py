"""formulacheck: property-based checks of the formulas of deep learning.

Importing this package is cheap: it loads neither torch nor SymPy. The
registry (``checks.registry``) loads formula entries on demand; torch is
imported once, lazily, by :func:`checks.oracles.torchlib.torch`.
"""

__version__ = "0.1.0"
