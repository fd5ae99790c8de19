"""Formula groups: each module registers the entries of one contract group."""
