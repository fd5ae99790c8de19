"""Independent sources of truth: torch autograd and SymPy, imported lazily."""
