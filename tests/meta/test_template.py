"""The student template is generated from the registry: student/template.py is render_template()."""

from __future__ import annotations

import ast
import inspect
import types

import numpy as np
import pytest

from checks import registry
from checks.registry import Formula, Oracle, Source
from checks.registry import template as gen
from checks.strategies import Case, st


def _module(text: str) -> types.ModuleType:
    m = types.ModuleType("generated_template")
    exec(compile(text, "<template>", "exec"), m.__dict__)
    return m


def test_student_template_is_the_generated_one():
    on_disk = gen.TEMPLATE_PATH.read_text(encoding="utf-8")
    assert on_disk == gen.render_template(), (
        "student/template.py differs from the registry: run `python -m checks.registry.template --write`")


def test_one_function_per_formula_id_with_the_reference_signature_and_nothing_else():
    text = gen.render_template()
    tree = ast.parse(text)
    fs = registry.all_formulas()
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    others = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.Import))
              and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]  # the module docstring
    assert others == [] and [type(n) for n in tree.body if isinstance(n, ast.Import)] == [ast.Import]
    assert [d.name for d in defs] == [f.fn_name for f in fs]  # the registry's order, each id once
    for d in defs:  # a docstring, then raise NotImplementedError: nothing else
        assert len(d.body) == 2 and ast.get_docstring(d), d.name
        assert ast.unparse(d.body[1]) == "raise NotImplementedError", d.name
    m = _module(text)
    for f in fs:
        fn = getattr(m, f.fn_name)
        ref = inspect.signature(f.reference)
        assert str(inspect.signature(fn)) == str(ref.replace(
            parameters=[p.replace(annotation=p.empty) for p in ref.parameters.values()], return_annotation=ref.empty)), f.id
        with pytest.raises(NotImplementedError):
            fn(*[None] * sum(p.default is p.empty for p in ref.parameters.values()))
    assert f"{len(fs)} in all" in m.__doc__


def test_docstrings_carry_the_reference_paragraph_the_outputs_the_summary_and_the_source():
    m = _module(gen.render_template())
    for f in registry.all_formulas():
        doc = inspect.getdoc(getattr(m, f.fn_name))
        flat = " ".join(doc.split())
        assert flat.endswith("Source: " + " ".join(gen.source_line(f.source).split())), f.id
        assert f"notes {f.source.file} " in flat, f.id  # every current entry comes from the notes
        first = gen.plain(inspect.getdoc(f.reference).split("\n\n")[0])
        assert flat.startswith(first.rstrip(".")), f.id
        for o in f.outputs:
            assert o in doc, (f.id, o)
        assert ":math:" not in doc and "``" not in doc and ":func:" not in doc, f.id  # reST rendered


def test_a_formula_added_to_the_registry_appears_in_the_template():
    def scale(x, k=2.0, mask=None):
        r"""Scaled: :math:`y = k\,x\odot m`, see :func:`scale` and ``mask``."""

    with registry.scratch():
        registry.register(Formula(
            id="toy.scale", source=Source("Goodfellow et al. 2016 (Deep Learning)", "§6.3", "y = kx"),
            reference=scale, strategy=lambda: st.just(Case((np.ones(1),))), outputs=("y", "dk"),
            oracles=(Oracle("numpy", lambda x, k=2.0, mask=None: k * x),), summary="k drawn in [0, 3]",
        ))
        text = gen.render_template()
    m = _module(text)
    assert [n for n in vars(m) if not n.startswith("__")] == ["np", "scale"]
    assert str(inspect.signature(m.scale)) == "(x, k=2.0, mask=None)"
    doc = " ".join(inspect.getdoc(m.scale).split())
    assert doc.startswith("Scaled: y = k x⊙m, see scale and mask. Returns (y, dk). k drawn in [0, 3].")
    assert doc.endswith("Source: Goodfellow et al. 2016 (Deep Learning), §6.3: y = kx")
    assert "1 in all" in m.__doc__
    assert text != gen.render_template()  # the real registry is back


@pytest.mark.parametrize("src, out", [
    (r":math:`x\odot m`", "x⊙m"),
    (r":math:`\theta \leftarrow \theta - \eta\, g`", "θ ← θ - η g"),
    (r":math:`\sqrt{2/\text{fan\_in}}`", "√(2/fan_in)"),
    (r":math:`y = xW^\top + b`", "y = xWᵀ + b"),
    (r"Backward of :func:`maxpool2d`, ``p_keep`` and \|x\| <= 1e4", "Backward of maxpool2d, p_keep and |x| <= 1e4"),
    (r":math:`\unknown{x}`", r"\unknown{x}"),  # left as written, never dropped
])
def test_plain_renders_rest_and_latex(src, out):
    assert gen.plain(src) == out


def test_main_checks_and_writes_the_file(tmp_path, monkeypatch, capsys):
    p = tmp_path / "template.py"
    monkeypatch.setattr(gen, "TEMPLATE_PATH", p)
    p.write_text("def sigmoid(x):\n    raise NotImplementedError\n", encoding="utf-8")
    assert gen.main(["--check"]) == 1 and "differs from the registry" in capsys.readouterr().out
    assert gen.main(["--write"]) == 0 and p.read_text(encoding="utf-8") == gen.render_template()
    assert gen.main(["--check"]) == 0 and "up to date" in capsys.readouterr().out
    assert gen.main(["--bogus"]) == 2 and "usage:" in capsys.readouterr().err
