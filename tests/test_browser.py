"""The built site in a real browser (headless Chromium through Playwright).

Every page in both languages loads with no console error and no request to another host; each
chart was drawn by vega-embed (an svg or canvas inside the live chart); the language switch lands
on the same page in the other language. Skipped when Chromium is missing, except in CI.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("ARENA_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")

if not (Path(CHROMIUM).exists() or shutil.which("chromium")) and not IN_CI:
    pytest.skip("Chromium not installed (apt-get install -y chromium); required when CI=true",
                allow_module_level=True)
if not IN_CI:
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")


@pytest.fixture(scope="module")
def server(built_project: Path):
    from arena.serve import make_server

    srv = make_server(str(built_project / "_site"), 0)
    srv.verbose = False
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS)
        yield b
        b.close()


def _pages(site: Path) -> list[str]:
    out = ["index.html"]
    for lang in ("da", "en"):
        out += [str(p.relative_to(site)) for p in sorted((site / lang).rglob("*.html"))
                if "site_libs" not in p.parts]
    return out


def _open(browser, url: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_request(req):
        host = urlparse(req.url).hostname
        if req.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in ("127.0.0.1", "localhost"):
            foreign.append(req.url)

    page.on("request", on_request)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, errors, foreign


def test_every_page_loads_cleanly_and_charts_render(built_project: Path, server: str, browser) -> None:
    site = built_project / "_site"
    charts_seen = 0
    for rel in _pages(site):
        page, errors, foreign = _open(browser, f"{server}/{rel}")
        try:
            n_charts = page.locator(".arena-chart").count()
            for i in range(n_charts):
                chart = page.locator(".arena-chart").nth(i)
                chart.locator("svg, canvas").first.wait_for(state="attached", timeout=10_000)
                assert "arena-chart-live" in (chart.get_attribute("class") or ""), rel
                assert chart.locator(".vega-embed, svg.marks, canvas").count() > 0, rel
            charts_seen += n_charts
            assert errors == [], f"{rel}: {errors}"
            assert foreign == [], f"{rel}: {foreign}"
        finally:
            page.close()
    assert charts_seen >= 2 * 28     # every figure and infographic, in both languages


def test_language_switch_lands_on_same_page(built_project: Path, server: str, browser) -> None:
    pairs = [("da/index.html", "/en/index.html"),
             ("da/chapters/da/01-om-rapporten.html", "/en/chapters/en/01-about.html"),
             ("en/chapters/en/01-about.html", "/da/chapters/da/01-om-rapporten.html")]
    for start, expected in pairs:
        page, errors, _ = _open(browser, f"{server}/{start}")
        try:
            page.locator("a.lang-switch").click()
            page.wait_for_load_state("load")
            assert urlparse(page.url).path == expected
            other = "en" if start.startswith("da") else "da"
            assert page.locator("html").get_attribute("lang") == other
        finally:
            page.close()


def test_root_sends_reader_to_a_language(server: str, browser) -> None:
    page, errors, _ = _open(browser, f"{server}/index.html?stay")
    try:
        assert page.locator('a[href="da/index.html"]').count() == 1
        assert page.locator('a[href="en/index.html"]').count() == 1
    finally:
        page.close()
    page, errors, _ = _open(browser, f"{server}/index.html")
    try:
        assert urlparse(page.url).path in ("/da/index.html", "/en/index.html")
    finally:
        page.close()
