"""Headless Chromium for the report tests: a screenshot, and the requests the PAGE made (from Chromium's NetLog).

Why this way (no network, and proof of it):

- the browser runs in a new network namespace (``bwrap --unshare-net``: only a
  loopback device, so nothing it tries can leave the machine), when bwrap
  can make one here;
- ``--host-resolver-rules="MAP * ~NOTFOUND"`` fails every host name lookup
  inside Chromium itself (no DNS query either, with or without bwrap);
- ``--log-net-log`` records every URL request Chromium starts. Chromium's own
  background requests (component updates, time, accounts, spell-check
  dictionaries: ``initiator`` "not an origin") are told apart from the
  page's (initiator ``null``, the file:// page's opaque origin, or an origin):
  :func:`page_requests` lists the page's http(s) requests. A control page
  with remote references proves the list catches them (tests/report/test_chromium.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


@lru_cache(maxsize=1)
def netns_prefix() -> tuple[str, ...]:
    """``bwrap --unshare-net`` when it works on this machine (else no prefix: the resolver rules still hold)."""
    bw = shutil.which("bwrap")
    if bw is None:
        return ()
    cmd = (bw, "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--")
    try:
        ok = subprocess.run([*cmd, "true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return cmd if ok else ()


def screenshot(page: Path, png: Path, netlog: Path, size: tuple[int, int] = (1200, 1600)) -> subprocess.CompletedProcess:
    exe = browser()
    assert exe is not None
    profile = png.parent / f".chromium-profile-{png.stem}"
    cmd = [*netns_prefix(), exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", '--host-resolver-rules=MAP * ~NOTFOUND', f"--log-net-log={netlog}",
           f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page.resolve().as_uri()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"))}
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    shutil.rmtree(profile, ignore_errors=True)
    return p


def page_requests(netlog: Path) -> list[str]:
    """The http(s) URLs whose requests a page started (not Chromium's own background requests)."""
    data = json.loads(netlog.read_text(encoding="utf-8", errors="replace"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for e in data["events"]:
        p = e.get("params") or {}
        if e.get("type") == start and "url" in p and p["url"].startswith(("http:", "https:", "ws:", "wss:")):
            if p.get("initiator") != "not an origin":
                urls.append(p["url"])
    return urls
