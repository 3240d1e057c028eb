"""The HTML report, rendered by a real browser (headless Chromium from Debian's `chromium`).

`make test` installs Chromium when it can (root + network). Where it cannot, this test skips with a
clear message — except in CI (CI=true), where a missing browser is a failure.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "report.html"
SCREENSHOT = ROOT / "reports" / "report_screenshot.png"

PROBE = """
<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const arabic = [...document.querySelectorAll('[lang="ar"]')];
  const rtl = arabic.filter(e => getComputedStyle(e).direction === 'rtl');
  const res = {
    images: imgs.length,
    loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    arabic_blocks: arabic.length,
    rtl_blocks: rtl.length,
    first_arabic_right_aligned: arabic.length ? getComputedStyle(arabic[0]).textAlign : '',
  };
  const pre = document.createElement('pre');
  pre.id = 'iraqkit-probe';
  pre.textContent = JSON.stringify(res);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _flags(tmp_path):
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]


@pytest.fixture(scope="module")
def chromium():
    path = _chromium()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI: `make test` installs Debian's chromium (apt-get install chromium)")
        pytest.skip("Chromium is not installed and could not be installed here (needs root and network); "
                    "install Debian's `chromium` to run the browser check")
    return path


def test_report_renders_with_every_figure_and_arabic_right_to_left(chromium, tmp_path):
    if not REPORT.exists():
        pytest.fail(f"{REPORT} is missing: `make report` writes it")
    html = REPORT.read_text(encoding="utf-8")
    probe = tmp_path / "report_probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run([chromium, *_flags(tmp_path), "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="iraqkit-probe">(.*?)</pre>', dom.stdout)
    assert m, f"the page did not run its probe: {dom.stderr[-2000:]}"
    res = json.loads(m.group(1))
    n_png = len(re.findall(r'<img[^>]+src="data:image/png;base64', html))
    assert res["images"] == n_png >= 10, res  # every figure of the four notebooks is embedded
    assert res["loaded"] == res["images"], f"{res['images'] - res['loaded']} figure(s) did not load"
    assert res["arabic_blocks"] >= 20 and res["rtl_blocks"] == res["arabic_blocks"], res
    assert res["first_arabic_right_aligned"] in ("right", "start")
    shot = subprocess.run([chromium, *_flags(tmp_path), "--window-size=1280,2400",
                           f"--screenshot={SCREENSHOT}", REPORT.as_uri()],
                          capture_output=True, text=True, timeout=180)
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000, shot.stderr[-2000:]
