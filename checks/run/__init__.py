"""Running the checks: draw (the only caller of Hypothesis), expect (the oracles), run locally, check."""
