"""The rest of the content issue, read on the built site (HTML and PDF, both languages) against
the source text itself: the high/low competences graphic restored, figure 9's unexplained share
shown as a remainder and not as an answer, the source's key words in the titles of figures 6 and
20, verbal fractions in the source's words, and no repository paths in chapter 1.

Expected values come from the seed (shared/seeds/001_*.txt) or from arithmetic done here, never
from the program's output."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from test_reader_appendices import _Visible

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(os.environ.get("ARENA_SEEDS", ROOT.parent / "shared" / "seeds"))
LANGS = ("da", "en")
# Number words written here, not read from the project's catalogue, so the helper is checked
# against an independent list.
WORDS = {"da": ["ingen", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti"],
         "en": ["none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]}
JOIN = {"da": "{} ud af {}", "en": "{} in {}"}
INVENTED = ("hverken hæmmede eller fremmede", "neither hindered nor promoted")
REMAINDER = {"da": "ikke redegjort for i kilden", "en": "not accounted for in the source"}


def _expected_fraction(percent, n: int, lang: str) -> str:
    k = int(Fraction(str(percent)) * n / 100 + Fraction(1, 2))   # half up, exactly
    return JOIN[lang].format(WORDS[lang][k], WORDS[lang][n])


@pytest.fixture(scope="module")
def seed() -> list[str]:
    path = next(SEEDS.glob("001_*.txt"), None) if SEEDS.exists() else None
    if path is None:
        pytest.skip("the source report (shared/seeds/001_*.txt) is not next to the repository")
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def site(built_project: Path) -> Path:
    return built_project / "_site"


def _text(s: str) -> str:
    return " ".join(s.replace("\u00ad", "").split()).lower()   # soft hyphens are invisible


def _pdf(site: Path, lang: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(site / lang / f"arena-{lang}.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    return _text(out)


def _visible(site: Path, lang: str, prefix: str) -> _Visible:
    page = next((site / lang / "chapters" / lang).glob(f"{prefix}-*.html"))
    v = _Visible()
    v.feed(page.read_text(encoding="utf-8"))
    return v


def _figure_block(seed: list[str], number: int) -> str:
    """The source's title of figure `number`: the lines after "FIGUR n" up to the first blank one
    after the title starts."""
    at = seed.index(next(l for l in seed if l.strip() == f"FIGUR {number}"))
    lines = []
    for line in seed[at + 1:]:
        if not line.strip():
            if lines:
                break
            continue
        lines.append(line.strip())
    return " ".join(lines)


# ---------------------------------------------------------------- verbal fractions

@pytest.mark.parametrize("percent, n", [(80, 10), (79.76, 10), (27.66, 4), (75.99, 4), (66.12, 3),
                                        (12.5, 4), (62.5, 4), (90.3, 10), (5, 10), (100, 4)])
@pytest.mark.parametrize("lang", LANGS)
def test_verbal_fraction_matches_independent_arithmetic(percent, n, lang):
    from analysis import fmt

    assert fmt.verbal_fraction(percent, n, lang) == _expected_fraction(percent, n, lang)


def test_verbal_fraction_follows_the_value_it_is_given():
    """In survey mode the chapter gets the data's value: the words change with it, they are not typed."""
    from arena.chapter import Report

    r = Report.__new__(Report)   # no artifacts needed: the numbers are given here
    r.lang, r.kind = "en", "other"
    for value, words in ((27.66, "one in four"), (52.0, "two in four"), (74.0, "three in four")):
        r.numbers = {"x": {"value": value, "status": "printed", "rests_on": "printed"}}
        assert r.fraction("x", plain=True, of=4) == words
    r.lang = "da"
    assert r.fraction("x", plain=True, of=4, cap=True) == "Tre ud af fire"


def test_the_source_fractions_stand_on_the_site(seed, site):
    """'Mere end otte ud af ti' (the foreword) and 'kun 1 ud af 4' (risk chapter) keep the source's
    wording, as words, in both languages, HTML and PDF; the '28 %' that replaced the latter is gone."""
    eight = next(l for l in seed if "otte ud af ti" in l)
    one = next(l for l in seed if re.search(r"kun 1 ud af 4", l))
    k, n = (int(x) for x in re.search(r"kun (\d+) ud af (\d+)", one).groups())
    assert "Mere end otte ud af ti" in eight
    for lang in LANGS:
        more_than = {"da": "mere end ", "en": "more than "}[lang] + JOIN[lang].format(WORDS[lang][8], WORDS[lang][10])
        only = {"da": "kun ", "en": "only "}[lang] + JOIN[lang].format(WORDS[lang][k], WORDS[lang][n])
        front = _text(" ".join(_Visible_of(site / lang / "index.html").text))
        assert more_than in front, lang
        risk = _text(" ".join(_visible(site, lang, "08").text))
        assert only in risk, lang
        # the number the source words so is shown in those words, not as a per cent ("kun 28 %")
        html = next((site / lang / "chapters" / lang).glob("08-*.html")).read_text(encoding="utf-8")
        shown = re.findall(r'data-claim="p1818\.[^"]*"[^>]*>([^<]*)<', html)
        assert shown and set(shown) == {only.split(" ", 1)[1]}, (lang, shown)
        pdf = _pdf(site, lang)
        assert more_than in pdf and only in pdf, lang


def _Visible_of(path: Path) -> _Visible:
    v = _Visible()
    v.feed(path.read_text(encoding="utf-8"))
    return v


# ---------------------------------------------------------------- the high/low competences graphic

def test_the_high_low_graphic_is_on_the_competences_page(seed, site):
    start = next(i for i, l in enumerate(seed) if l.strip() == "Politikerne har høje")
    end = next(i for i, l in enumerate(seed) if i > start and l.strip().startswith("http://coi.dk"))
    block = seed[start:end]
    # The graphic prints no number, so there is no number to restore: its words are the content.
    assert not re.search(r"\d", "\n".join(block)), "the source's graphic holds numbers: add them to published.csv"
    high = _text(seed[start] + " " + seed[start + 1]).removeprefix("politikerne har ")
    low = _text(seed[start + 3] + " " + seed[start + 4]).removeprefix("politikerne har ")
    assert (high, low) == ("høje innovationskompetencer", "lave innovationskompetencer")
    heads = {"da": (high, low), "en": ("high innovation competences", "low innovation competences")}
    rows = {"da": ("i hverdagen", "for innovationsarbejdet", "for borgerne"),
            "en": ("in everyday work", "for the innovation work", "for citizens")}
    for lang in LANGS:
        v = _visible(site, lang, "09")
        cells = [c.lower().replace("\u00ad", "") for c in v.cells]   # soft hyphens are invisible
        for i, cell in enumerate(cells):   # the table whose header names both groups
            if cell == heads[lang][0] and cells[i + 1] == heads[lang][1]:
                break
        else:
            raise AssertionError(f"{lang}: no table headed {heads[lang]}")
        assert all(r in cells for r in rows[lang]), (lang, cells[i:i + 12])
        pdf = _pdf(site, lang)
        assert all(h in pdf for h in heads[lang]), lang


# ---------------------------------------------------------------- figure 9's remainder

def _download(site: Path, lang: str, number: int) -> list[list[str]]:
    name = {"da": "figur", "en": "figure"}[lang]
    text = (site / lang / "downloads" / "figures" / f"{name}-{number:02d}.csv").read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if lang == "da" else ","))


def test_figure_9_remainder_is_not_an_answer(seed, site):
    # The source: hindered 29 %, promoted 26 % (the surviving labels), 36 % not relevant/don't know.
    caption = " ".join(seed[seed.index("FIGUR 9"):seed.index("FIGUR 9") + 20])
    hinder, promote = (int(x) for x in re.search(r"(\d+)% (\d+)%", caption).groups())
    hidden = int(re.search(r"Figuren viser ikke de\s+(\d+) %", caption).group(1))
    remainder = 100 - hinder - promote - hidden
    assert remainder == 9
    for lang in LANGS:
        for number in (9, 19, 26):
            rows = _download(site, lang, number)
            head, body = rows[0], rows[1:]
            flat = _text(" ".join(" ".join(r) for r in rows))
            assert not any(w in flat for w in INVENTED), (lang, number)
            answer, status, percent = (head.index(c) for c in (
                {"da": "Svar", "en": "Answer"}[lang], "Status", {"da": "Procent", "en": "Per cent"}[lang]))
            rest = [r for r in body if REMAINDER[lang] in r[answer].lower()]
            assert rest, (lang, number, "no remainder row")
            # the remainder is drawn and downloaded as assumed, never as printed
            assert {r[status] for r in rest} == {{"da": "Antaget", "en": "Assumed"}[lang]}, (lang, number)
            if number == 9:
                value = float(rest[0][percent].replace(",", "."))
                assert round(value) == remainder, (lang, value)
        for prefix in ("06", "08", "10", "17"):   # the three figures' chapters and Appendix B
            page = _text(" ".join(_visible(site, lang, prefix).text))
            assert not any(w in page for w in INVENTED), (lang, prefix)
        pdf = _pdf(site, lang)
        assert not any(w in pdf for w in INVENTED), lang
        assert REMAINDER[lang] in pdf, lang


# ---------------------------------------------------------------- titles of figures 6 and 20

def test_titles_of_figures_6_and_20_carry_the_source_key_words(seed, site):
    six, twenty = _figure_block(seed, 6), _figure_block(seed, 20)
    assert " ofte " in six and "tilstrækkelige kompetencer" in twenty
    key = {6: {"da": "ofte", "en": "often"}, 20: {"da": "tilstrækkelige kompetencer", "en": "sufficient skills"}}
    drift = {6: ("jævnligt", "regularly"), 20: ("tillid", "trust")}
    for lang in LANGS:
        for number, page in ((6, "05"), (20, "09")):
            html = (next((site / lang / "chapters" / lang).glob(f"{page}-*.html"))).read_text(encoding="utf-8")
            at = html.index(f'id="fig-{number:02d}"')
            caption = _text(re.sub(r"<[^>]+>", " ", html[at:html.index("</figure>", at)].split("<figcaption", 1)[1]))
            assert key[number][lang] in caption, (lang, number, caption)
            assert not any(w in caption for w in drift[number]), (lang, number, caption)


# ---------------------------------------------------------------- chapter 1 for readers

REPO_PATH = re.compile(r"\b(?:data|analysis|arena|chapters|expectations|editions|tests|docs)/|\.(?:csv|py|ya?ml|qmd)\b")


def test_the_path_check_finds_paths():
    assert len(REPO_PATH.findall("in `analysis/`, `data/codebook/` and published.csv or figures.yaml")) == 4
    assert not REPO_PATH.findall("Appendix A and the reconciliation")


def test_chapter_1_names_no_repository_path(site):
    for lang in LANGS:
        v = _visible(site, lang, "01")
        found = REPO_PATH.findall(" ".join(v.text))
        assert not found, (lang, found)
        assert any("bilag-kodebog" in h or "appendix-codebook" in h for h in v.hrefs), (lang, v.hrefs)
