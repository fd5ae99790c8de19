"""The page in headless Chromium: it renders (a screenshot that is not blank) and fetches nothing.

Skipped only when no Chromium is installed (CI installs it: see .ci/run).
"""

from __future__ import annotations

import numpy as np
import pytest

from checks.report import html, load
from tests.report import _chromium

pytestmark = pytest.mark.skipif(_chromium.browser() is None,
                                reason="no chromium on this machine (apt-get install chromium fonts-noto-cjk; CI has it)")

CONTROL = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="https://fonts.example.invalid/css2?family=Inter">
<style>body{background:url(http://img.example.invalid/bg.png)}</style></head>
<body><img src="https://img.example.invalid/x.png"><script src="https://cdn.example.invalid/x.js"></script>hello</body></html>
"""


def _pixels(png):
    import matplotlib.image

    img = matplotlib.image.imread(str(png))
    return img[..., :3].mean(axis=-1)


def _rendered(gray) -> bool:
    """Text and bars on a white page: varied, and 1-60 % dark pixels (a blank or one-word page has ~0)."""
    dark = float((gray < 0.5).mean())
    return bool(np.isfinite(gray).all() and gray.std() > 0.05 and 0.01 < dark < 0.6)


def test_the_network_check_catches_a_page_that_fetches(tmp_path):
    page = tmp_path / "control.html"
    page.write_text(CONTROL, encoding="utf-8")
    p = _chromium.screenshot(page, tmp_path / "control.png", tmp_path / "control-net.json")
    assert p.returncode == 0, p.stderr[-2000:]
    urls = _chromium.page_requests(tmp_path / "control-net.json")
    assert {u.split("/")[2] for u in urls} == {"fonts.example.invalid", "img.example.invalid", "cdn.example.invalid"}
    assert not _rendered(_pixels(tmp_path / "control.png"))  # one word on a white page: the not-blank check says so


def test_the_report_renders_and_fetches_nothing(real_batch, tmp_path):
    jd, csv = real_batch
    page = tmp_path / "report.html"
    page.write_text(html.render(load.load([str(jd), str(csv)]), title="DL 2025: homework 3"), encoding="utf-8")
    png, net = tmp_path / "report.png", tmp_path / "report-net.json"
    p = _chromium.screenshot(page, png, net)
    assert p.returncode == 0, p.stderr[-2000:]
    assert png.stat().st_size > 20_000
    gray = _pixels(png)
    assert gray.shape == (1600, 1200)
    assert _rendered(gray), (gray.std(), (gray < 0.5).mean())
    assert _chromium.page_requests(net) == []
