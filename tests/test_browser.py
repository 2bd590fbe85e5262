"""The built site in a real browser (headless Chromium through Playwright), as readers meet it.

Every page of both languages is opened once at 1366 px and once at 390 px (a phone), in one
browser with one context per width; what each visit measures is kept and checked by the tests
below: axe-core finds no serious or critical violation; no console error; no request to another
host; every internal link and anchor resolves; each chart is drawn by vega-embed and keeps the
alternative text, in the page's language, as its accessible name; chart text on a phone is at
least 10 px; a phone never scrolls sideways; the Vega bundle does not block the page and is only
on chart pages. Then: search finds a phrase taken from a built page, in each language; the
language switch keeps the section; the sidebar and "on this page" stay reachable. Skipped when
Chromium is missing, except in CI.

The same tests run on a site built by real Quarto (ARENA_TEST_BUILT=<project built with
`--engine quarto`; the engine is read from the pages' generator meta): where a test checks a
part of the embedded page template, it checks Quarto's own equivalent instead (its search over
search.json, its sidebar and table of contents, the bundle inserted by quarto-header.html).
"""
from __future__ import annotations

import html
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import CHROMIUM, chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
WIDTHS = (1366, 390)
PHONE = 390

if not (Path(CHROMIUM).exists() or shutil.which("chromium")) and not IN_CI:
    pytest.skip("Chromium not installed (apt-get install -y chromium); required when CI=true",
                allow_module_level=True)
if not IN_CI:
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python not installed")


@pytest.fixture(scope="module")
def server(built_project: Path):
    yield from serve(built_project / "_site")


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture(scope="module")
def engine(built_project: Path) -> str:
    """Which renderer built the site, as its pages say: "quarto" or "embedded"."""
    page = (built_project / "_site" / "da" / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<meta name="generator" content="([^"]*)"', page)
    assert m, "da/index.html names no generator"
    return "quarto" if m.group(1).startswith("quarto-") else "embedded"


def _pages(site: Path) -> list[str]:
    out = ["index.html?stay"]   # the language chooser (without ?stay it sends the reader on)
    for lang in ("da", "en"):
        out += [str(p.relative_to(site)) for p in sorted((site / lang).rglob("*.html"))
                if "site_libs" not in p.parts and "pagefind" not in p.parts]
    return out


class Tab:
    """One page of a browser context, reused for every visit; records console errors, failed
    scripts and requests to other hosts since the last `goto`."""

    def __init__(self, context) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._request)

    def _request(self, req) -> None:
        host = urlparse(req.url).hostname
        if req.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in ("127.0.0.1", "localhost"):
            self.foreign.append(req.url)

    def goto(self, url: str) -> None:
        self.errors, self.foreign = [], []
        self.page.goto(url, wait_until="load")


# Every chart drawn by vega-embed (display.py marks it when the embed has finished).
CHARTS_DRAWN = """() => [...document.querySelectorAll('.arena-chart')].every(c =>
    c.hasAttribute('data-arena-drawn') && c.querySelector('svg.marks'))"""

MEASURE = """() => {
  const charts = [...document.querySelectorAll('.arena-chart')].map(c => {
    const sizes = [...c.querySelectorAll('svg.marks text')].filter(t => t.textContent.trim())
      .map(t => { const m = t.getScreenCTM(); return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); });
    // text drawn past the chart's own box is cut off for the reader (a legend wider than a phone)
    const box = c.getBoundingClientRect();
    const cut = [...c.querySelectorAll('svg.marks text')].filter(t => t.textContent.trim()).filter(t => {
      const r = t.getBoundingClientRect(); return r.right > box.right + 1 || r.left < box.left - 1; })
      .map(t => t.textContent.trim());
    return {id: c.id, min_font: sizes.length ? Math.min(...sizes) : null, texts: sizes.length, cut};
  });
  return {
    charts,
    scroll_width: document.documentElement.scrollWidth, inner_width: window.innerWidth,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    bundle: [...document.scripts].filter(s => (s.src || '').includes('vega-bundle'))
      .map(s => s.defer ? 'defer' : s.async ? 'async' : 'blocking'),
  };
}"""


@pytest.fixture(scope="module")
def visits(built_project: Path, server: str, browser) -> dict:
    """{(width, page): what was measured}, every page at every width, each loaded once."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    site = built_project / "_site"
    out: dict = {}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        tab = Tab(context)
        for rel in _pages(site):
            tab.goto(f"{server}/{rel}")
            page = tab.page
            page.wait_for_function(CHARTS_DRAWN, timeout=20_000)
            record = page.evaluate(MEASURE)
            # The role and accessible name of each chart after vega-embed, as the browser
            # computes them.
            record["names"] = {c["id"]: _role_and_name(page, c["id"]) for c in record["charts"]}
            record["static_alt"] = _static_alts(site / rel.split("?")[0])
            result = axe.run(page)
            record["axe"] = [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes, e.g. "
                             f"{v['nodes'][0]['target']}"
                             for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
            record["errors"], record["foreign"] = list(tab.errors), list(tab.foreign)
            out[(width, rel)] = record
        context.close()
    return out


def _role_and_name(page, element_id: str) -> tuple[str, str]:
    """Role and accessible name as Chromium's accessibility tree has them (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f"#{element_id}"})["nodeId"]
        ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][0]
    finally:
        cdp.detach()
    return ax.get("role", {}).get("value", ""), ax.get("name", {}).get("value", "")


def _static_alts(path: Path) -> dict[str, str]:
    """The alternative text each chart carries in the built HTML (before any script runs)."""
    text = path.read_text(encoding="utf-8")
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<div class="arena-chart" id="([^"]+)" role="img" aria-label="([^"]*)"', text)}


def test_every_page_has_no_serious_accessibility_violation(visits: dict) -> None:
    bad = {f"{w}px {rel}": r["axe"] for (w, rel), r in visits.items() if r["axe"]}
    assert bad == {}


def test_no_console_error(visits: dict) -> None:
    assert {f"{w}px {rel}": r["errors"] for (w, rel), r in visits.items() if r["errors"]} == {}


def test_no_request_to_another_host(visits: dict) -> None:
    assert {f"{w}px {rel}": r["foreign"] for (w, rel), r in visits.items() if r["foreign"]} == {}


def test_every_chart_drawn_and_named_by_its_alt_text_in_the_page_language(visits: dict) -> None:
    charts = 0
    wrong = {}
    for (width, rel), r in visits.items():
        assert sorted(r["names"]) == sorted(r["static_alt"]), rel
        charts += len(r["names"])
        for cid, (role, name) in r["names"].items():
            if role not in ("img", "image") or name != r["static_alt"][cid]:   # Chromium says "image"
                wrong[f"{width}px {rel}#{cid}"] = (role, name[:60])
        lang = rel.split("/")[0]
        other = rel.replace(f"{lang}/", "", 1)
        for cid, alt in r["static_alt"].items():
            assert alt.strip(), (rel, cid)
            # the figure's alternative text in the other language differs (a Danish page is not
            # named in English); figure ids are the same in both languages
            twins = [o["static_alt"].get(cid) for (w, p), o in visits.items()
                     if w == width and p.split("/")[0] != lang and cid in o["static_alt"]]
            assert alt not in twins, (rel, cid, other)
    assert wrong == {}
    assert charts >= 2 * 2 * 28     # every figure and infographic, both languages, both widths


def test_chart_text_is_readable_on_a_phone(visits: dict) -> None:
    small = {}
    for (width, rel), r in visits.items():
        if width != PHONE:
            continue
        for c in r["charts"]:
            assert c["texts"] > 0, (rel, c["id"])
            if c["min_font"] < 10:
                small[f"{rel}#{c['id']}"] = round(c["min_font"], 1)
    assert small == {}


def test_no_chart_text_is_cut_off_on_a_phone(visits: dict) -> None:
    cut = {f"{rel}#{c['id']}": c["cut"] for (width, rel), r in visits.items() if width == PHONE
           for c in r["charts"] if c["cut"]}
    assert cut == {}


def test_a_phone_never_scrolls_sideways(visits: dict) -> None:
    wide = {rel: r["scroll_width"] for (width, rel), r in visits.items()
            if width == PHONE and r["scroll_width"] > r["inner_width"]}
    assert wide == {}


def test_every_internal_link_and_anchor_resolves(built_project: Path, server: str, visits: dict) -> None:
    site = built_project / "_site"
    ids = {rel.split("?")[0]: set(r["ids"]) for (w, rel), r in visits.items() if w == WIDTHS[0]}
    broken = []
    for (width, rel), r in visits.items():
        if width != WIDTHS[0]:
            continue
        for href in r["links"]:
            if not href.startswith(server):
                assert href.startswith(("data:text/csv", "https://", "http://", "mailto:")), (rel, href)
                continue
            url = urlparse(href)
            target = unquote(url.path.lstrip("/")) or "index.html"
            # a folder link is served as its index.html (over http Quarto's quarto-nav.js
            # rewrites every ".../index.html" link to ".../")
            if (site / target).is_dir():
                target = str(Path(target, "index.html"))
            if not (site / target).is_file():
                broken.append((rel, href))
            elif url.fragment and target in ids and unquote(url.fragment) not in ids[target]:
                broken.append((rel, href))
            elif url.fragment and target not in ids and target.endswith(".html"):
                broken.append((rel, href))
    assert broken == []


def test_section_ids_are_shared_by_both_languages(built_project: Path, visits: dict) -> None:
    """The language switch keeps the section by its id: sec-, fig- and tbl- ids must be the same
    on a page and its twin (pages are paired by position in the book)."""
    site = built_project / "_site"
    da = sorted(p for p in _pages(site) if p.startswith("da/"))
    en = sorted(p for p in _pages(site) if p.startswith("en/"))
    assert len(da) == len(en)
    shared = re.compile(r"^(sec|fig|tbl)-")
    for d, e in zip(da, en):
        ids_d = {i for i in visits[(WIDTHS[0], d)]["ids"] if shared.match(i) and not i.endswith(("-chart", "-spec"))}
        ids_e = {i for i in visits[(WIDTHS[0], e)]["ids"] if shared.match(i) and not i.endswith(("-chart", "-spec"))}
        assert ids_d == ids_e, (d, e, ids_d ^ ids_e)


def test_vega_bundle_deferred_and_only_on_chart_pages(visits: dict, engine: str) -> None:
    # the embedded page has <script defer>; Quarto's pages insert it from a script
    # (quarto-header.html), which loads it async: neither blocks the page
    loaded = "defer" if engine == "embedded" else "async"
    for (width, rel), r in visits.items():
        if r["charts"]:
            assert r["bundle"] == [loaded], rel
        else:
            assert r["bundle"] == [], rel


def _phrase(page, lang: str) -> str:
    """Four words in a row from a paragraph of the built page (not typed here)."""
    text = page.locator("main p").nth(2).inner_text()
    words = [w for w in re.findall(r"\w+", text) if len(w) > 3]
    assert len(words) >= 6, text
    return " ".join(words[2:5])


# The search box, its result links and its count line: the embedded template's (Pagefind) and
# Quarto's (book.search: Fuse over the language's own search.json, in the sidebar).
SEARCH = {
    "embedded": {"input": "#search-input", "links": ".search-list a", "status": ".search-status",
                 "da": r"\d+ (resultat|resultater)$", "en": r"\d+ results?$"},
    "quarto": {"input": "#quarto-search .aa-Input", "links": "#quarto-search-results a.search-result-link",
               "status": "#quarto-search-results .search-result-header",
               "da": r"\d+ Matchende dokumenter$", "en": r"\d+ matching documents$"},
}


def test_search_finds_a_phrase_from_the_page_in_its_language(server: str, browser, engine: str) -> None:
    ui = SEARCH[engine]
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = Tab(context)
    try:
        for lang, rel in (("da", "da/chapters/da/04-politisk-ledelse.html"),
                          ("en", "en/chapters/en/04-political-leadership.html")):
            tab.goto(f"{server}/{rel}")
            phrase = _phrase(tab.page, lang)
            tab.page.fill(ui["input"], phrase)
            tab.page.wait_for_selector(ui["links"], timeout=10_000)
            hrefs = [urlparse(h).path for h in tab.page.locator(ui["links"]).evaluate_all("as => as.map(a => a.href)")]
            assert f"/{rel}" in hrefs, (phrase, hrefs)
            assert all(h.startswith(f"/{lang}/") for h in hrefs), hrefs
            status = tab.page.locator(ui["status"]).inner_text()
            assert re.match(ui[lang], status), status
            assert tab.errors == [] and tab.foreign == []
    finally:
        context.close()


# The language switch: the embedded template's top bar, or the link post-render adds to Quarto's pages.
SWITCH = "a.lang-switch, a.arena-lang-switch"


def test_language_switch_keeps_the_section(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 700})
    tab = Tab(context)
    page = tab.page
    try:
        # scrolled to a section: the switch lands on the same section, clear of the top bar,
        # and "on this page" marks it on the way out (the embedded template's; Quarto's pages
        # get the switch from post-render and the same reader.js)
        tab.goto(f"{server}/da/chapters/da/04-politisk-ledelse.html")
        page.evaluate("document.getElementById('sec-pl-budget').scrollIntoView()")
        if page.locator(".page-toc").count():
            page.wait_for_function("document.querySelector('.page-toc a[aria-current]') && document.querySelector("
                                   "'.page-toc a[aria-current]').getAttribute('href') === '#sec-pl-budget'")
        page.locator(SWITCH).first.click()
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == "/en/chapters/en/04-political-leadership.html"
        assert urlparse(page.url).fragment == "sec-pl-budget"
        assert page.locator("html").get_attribute("lang") == "en"
        top = page.evaluate("document.getElementById('sec-pl-budget').getBoundingClientRect().top")
        bar = page.evaluate("Math.max(0, document.querySelector('.topbar, #quarto-header').getBoundingClientRect().bottom)")
        assert bar <= top <= bar + 60, (top, bar)
        # a jump to an anchor, then back: the hash is kept
        tab.goto(f"{server}/en/chapters/en/04-political-leadership.html#sec-pl-fora")
        page.locator(SWITCH).first.click()
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == "/da/chapters/da/04-politisk-ledelse.html"
        assert urlparse(page.url).fragment == "sec-pl-fora"
        # at the top of a page: the other page's top
        tab.goto(f"{server}/da/chapters/da/01-om-rapporten.html")
        page.locator(SWITCH).first.click()
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == "/en/chapters/en/01-about.html" and urlparse(page.url).fragment == ""
        assert tab.errors == []
    finally:
        context.close()


# The book's sidebar and "on this page" (with its links): the embedded template's and Quarto's.
NAVIGATION = {"embedded": (".sidebar", ".page-toc", ".page-toc a"),
              "quarto": ("#quarto-sidebar", "#quarto-margin-sidebar", "#TOC a")}


def test_sidebar_and_page_contents_stay_reachable_on_long_pages(server: str, browser, engine: str) -> None:
    sidebar, contents, contents_links = NAVIGATION[engine]
    context = browser.new_context(viewport={"width": 1366, "height": 500})
    tab = Tab(context)
    page = tab.page
    try:
        tab.goto(f"{server}/da/chapters/da/04-politisk-ledelse.html")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
        for sel in (sidebar, contents):
            box = page.locator(sel).bounding_box()
            assert 0 <= box["y"] < 100 and box["y"] + box["height"] <= 501, (sel, box)   # in view, within the window
        last = page.locator(contents_links).last
        last.scroll_into_view_if_needed()
        assert last.is_visible()
        assert page.evaluate("window.scrollY") > 1000     # the page itself did not jump back
    finally:
        context.close()


def test_root_sends_reader_to_a_language(server: str, browser) -> None:
    context = browser.new_context()
    tab = Tab(context)
    try:
        tab.goto(f"{server}/index.html?stay")
        assert tab.page.locator('a[href="da/index.html"]').count() == 1
        assert tab.page.locator('a[href="en/index.html"]').count() == 1
        tab.goto(f"{server}/index.html")
        tab.page.wait_for_load_state("load")
        assert urlparse(tab.page.url).path in ("/da/index.html", "/en/index.html")
    finally:
        context.close()


def _caption(site: Path, page_path: str, href: str) -> str:
    """The caption of the figure a link points to, read from the target page as built (the
    embedded page's <figure id> or Quarto's <figcaption id="fig-…-caption-…">; Quarto's scripts
    make every href absolute over http)."""
    url = urlparse(href)
    fid = unquote(url.fragment)
    if url.scheme:
        path = site / unquote(url.path).lstrip("/")
    else:
        path = (site / page_path).parent / url.path if url.path else site / page_path
    text = path.read_text(encoding="utf-8")
    m = (re.search(rf'<figure id="{re.escape(fid)}"[^>]*>.*?<figcaption>(.*?)</figcaption>', text, re.S)
         or re.search(rf'<figcaption\b[^>]*\bid="{re.escape(fid)}-caption-[^"]*"[^>]*>(.*?)</figcaption>', text, re.S))
    assert m, f"{href}: no such figure"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())


@pytest.mark.parametrize("lang,page_path", [("da", "da/chapters/da/03-centrale-indsigter.html"),
                                            ("en", "en/chapters/en/03-key-insights.html")])
@pytest.mark.parametrize("width", WIDTHS)
def test_figure_cross_reference_previews_its_caption(built_project: Path, server: str, browser, lang: str,
                                                     page_path: str, width: int) -> None:
    """Hover or keyboard focus on an `@fig-` link shows the figure's number and title, taken from
    the page (no request); the link is described by it; Escape or leaving hides it."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    tab = Tab(context)
    page = tab.page
    try:
        tab.goto(f"{server}/{page_path}")
        links = page.locator('a.quarto-xref[href*="#fig-"]')
        assert links.count() >= 2
        for i in (0, links.count() - 1):
            link = links.nth(i)
            want = _caption(built_project / "_site", page_path, link.get_attribute("href"))
            assert want.startswith(("Figur ", "Figure ")) and want.split()[0] in link.inner_text()
            link.scroll_into_view_if_needed()
            link.hover()
            tip = page.locator('[role="tooltip"]')
            tip.wait_for(state="visible", timeout=2000)
            assert " ".join(tip.inner_text().split()) == want
            assert link.get_attribute("aria-describedby") == tip.get_attribute("id")
            box = tip.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, box   # inside a phone's screen too
            page.mouse.move(0, 0)
            tip.wait_for(state="detached", timeout=2000)
            assert link.get_attribute("aria-describedby") is None
            # the keyboard: focus shows it, Escape hides it
            link.focus()
            tip.wait_for(state="visible", timeout=2000)
            assert " ".join(tip.inner_text().split()) == want
            page.keyboard.press("Escape")
            tip.wait_for(state="detached", timeout=2000)
        assert tab.errors == [] and tab.foreign == []
    finally:
        context.close()
