"""The audit's HTML page quotes the (Simplified Chinese) notes: quotes in lang="zh-Hans", the CJK font fallback."""

from __future__ import annotations

import re

from checks.audit import model, report

FALLBACK = '"Noto Sans CJK SC","Noto Sans CJK JP",sans-serif'


def _result(verdict="erratum"):
    return model.AuditResult(id="001.2.max_grad", file=model.FILES["001"], location="A6.2 (5分) 计算函数的梯度",
                             claim="d max / dx_i = 1 at the argmax", quote="如果对于输入向量中的某个元素<x>，它是最大值，则其梯度为1",
                             verdict=verdict, evidence="checked", details="as written vs truth")


def test_quotes_and_cjk_locations_carry_the_notes_language():
    h = report.to_html([_result()])
    css = h.split("<style>")[1].split("</style>")[0]
    assert re.search(r"body\{font-family:[^;}]*" + re.escape(FALLBACK) + ";", css)
    quote = "如果对于输入向量中的某个元素&lt;x&gt;，它是最大值，则其梯度为1"
    assert f'“<span lang="zh-Hans">{quote}</span>”' in h            # the table's quote
    assert f'<dd lang="zh-Hans">{quote}</dd>' in h                   # the entry's "quoted"
    assert '<span lang="zh-Hans">A6.2 (5分) 计算函数的梯度</span>' in h  # a location quoting a heading
    assert 'lang="zh-Hans">d max' not in h and "<title>formulacheck: audit" in h  # our own English is not marked


def test_an_ascii_location_is_not_marked():
    r = _result("verified")
    r.location = "line 50"
    h = report.to_html([r])
    assert "<td>line 50</td>" in h and h.count('lang="zh-Hans"') == 1  # only the quote (no details section for verified)
