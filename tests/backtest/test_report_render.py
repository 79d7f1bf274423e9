"""The HTML report renders in headless Chromium with no JavaScript errors and every chart drawn."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _ensure_chromium() -> str | None:
    """Debian's chromium, installed with apt-get when missing (as root, serialised by a lock)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if shutil.which("apt-get") and os.geteuid() == 0:
        from filelock import FileLock

        with FileLock("/tmp/indexer-apt-chromium.lock", timeout=900):
            if not Path(CHROMIUM).exists():
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True, timeout=600)
                subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False,
                               capture_output=True, timeout=900)  # fmt: skip
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _ensure_chromium()
    if path is None:
        msg = "Debian chromium is not installed and could not be installed with apt-get"
        pytest.fail(msg) if IN_CI else pytest.skip(msg)
    return str(path)


@pytest.fixture(scope="module")
def report(reference, tmp_path_factory) -> Path:
    from indexer.backtesting import run_and_report

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("report")
    data = reference.between("2021-01-01", "2023-12-31")
    _, paths = run_and_report(repo / "strategies" / "top10_capped.yaml", out, data=data)
    return paths["report"]


def test_report_renders_headless_without_js_errors(chromium, report, tmp_path):
    from playwright.sync_api import sync_playwright

    from indexer.backtesting.report import FIGURES

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        # playwright passes --user-data-dir itself for a persistent context
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "user-data"), executable_path=chromium, args=ARGS[1:], headless=True,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        page = browser.new_page()
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_timeout(1500)
        charts = page.eval_on_selector_all("div.chart", "els => els.map(e => e.id)")
        drawn = page.eval_on_selector_all(
            "div.chart", "els => els.map(e => e.querySelectorAll('.main-svg').length)"
        )
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == []
    assert [r for r in requests if not r.startswith("file:")] == []  # works offline: nothing fetched
    expected = {f"chart-{k}" for k in FIGURES if k != "diagnostics"}
    assert expected <= set(charts)
    assert all(n >= 1 for n in drawn), dict(zip(charts, drawn, strict=True))
    from PIL import Image

    with Image.open(shot) as im:
        w, h = im.size
        colours = len(set(im.convert("RGB").resize((200, 200)).getdata()))
    assert w >= 1200 and h >= 3000  # a long page with every chart
    assert colours > 50  # not a blank page
    keep = os.environ.get("INDEXER_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


def test_report_content_is_self_contained(report):
    text = report.read_text()
    assert "<script src=" not in text  # plotly inline (the browser test checks nothing is fetched)
    for section in ("Statistics (365-day annualisation)", "Strategy file", "Data provenance", "Recent decisions",
                    "BTC buy &amp; hold", "60/40 BTC/ETH", "Market-cap top 10", "Equal-weight top 10"):  # fmt: skip
        assert section in text, section
    assert "max_weight: 0.25" in text  # the strategy file echoed
    assert "shared_data" in text or "shared/data" in text  # provenance names the source

