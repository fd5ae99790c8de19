"""`formulacheck list` prints every formula's notes source exactly (brackets are text, not markup)."""

from rich.console import Console

from checks import registry
from checks.cli import console, main


def test_list_prints_every_source_verbatim(capsys, monkeypatch):
    monkeypatch.setattr(console, "make", lambda stderr=False: Console(width=1000))
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    with_brackets = [f for f in registry.all_formulas() if "[" in str(f.source)]
    assert with_brackets  # e.g. relu's "1[x > 0]"
    for f in registry.all_formulas():
        assert str(f.source) in out, f.id
