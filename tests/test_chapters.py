"""Lints on the chapters: no typed numbers, no borrowed sentences, every figure placed and cited,
Danish and English in step."""
from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(os.environ.get("ARENA_SEEDS", ROOT.parent / "shared" / "seeds"))
FIGURES = yaml.safe_load((ROOT / "analysis" / "figures.yaml").read_text(encoding="utf-8"))
LANGS = ("da", "en")

# Digits that may stand in prose, each for a reason:
ALLOWED_DIGITS = [
    r"\b(19|20)\d\d\b",            # years: literature references ("Sønderskov 2019"), the period 2018–2019
    r"§\s*17,\s*stk\.\s*4",         # the Local Government Act's project committees (a legal reference)
    r"\bsection 17\(4\)",           # the same in English
    r"@(fig|tbl|inf|sec)-[\w-]+",  # cross-reference labels (`@inf-1`): ids, not numbers; the reader
                                  # sees the renderer's "Infografik 1" / "Figur 2", counted by it
]


def chapter_files(lang: str) -> list[Path]:
    profile = yaml.safe_load((ROOT / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))
    return [ROOT / p for p in [*profile["book"]["chapters"], *profile["book"].get("appendices", [])]]


def _blank_out(pattern: str, text: str, flags=0) -> str:
    """Replace matches by blank lines, keeping line numbers."""
    return re.sub(pattern, lambda m: "\n" * m.group(0).count("\n"), text, flags=flags)


def prose(path: Path, lang: str) -> str:
    """The text a reader reads, with code, front matter and the other language's block removed."""
    text = path.read_text(encoding="utf-8")
    text = _blank_out(r"\A---\n.*?\n---\n", text, re.S)
    text = _blank_out(r"^```.*?^```", text, re.S | re.M)
    text = _blank_out(r"<!--.*?-->", text, re.S)
    other = "en" if lang == "da" else "da"
    text = _blank_out(r'^::: \{\.content-visible when-profile="' + other + r'"\}.*?^:::\s*$', text, re.S | re.M)
    return text


def _prose_lines(path: Path, lang: str):
    for i, line in enumerate(prose(path, lang).split("\n"), 1):
        s = re.sub(r"`\{python\}[^`]*`", "", line)
        s = re.sub(r"\{[^}]*\}", "", s)                # attributes, ids
        s = re.sub(r"@(fig|tbl|inf|sec)-[\w-]+", "", s)   # cross-references
        s = re.sub(r"\]\([^)]*\)", "]", s)            # link targets
        yield i, s


@pytest.mark.parametrize("lang", LANGS)
def test_no_digit_typed_into_prose(lang):
    found = []
    for path in chapter_files(lang):
        for i, s in _prose_lines(path, lang):
            for pattern in ALLOWED_DIGITS:
                s = re.sub(pattern, "", s)
            if re.search(r"\d", s):
                found.append(f"{path.relative_to(ROOT)}:{i}: {s.strip()[:100]}")
    assert not found, "typed digits in prose:\n" + "\n".join(found)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


def _ngrams(words: list[str], n: int = 8) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


# The seeds are not part of this repository. Their 8-word runs travel as salted hashes (no
# readable text), so the check also runs on a machine without ../shared/seeds.
SEED_HASHES = ROOT / "tests" / "fixtures" / "seed-8grams.bin"


def _hash(gram: tuple[str, ...]) -> bytes:
    return hashlib.blake2b(" ".join(gram).encode("utf-8"), digest_size=8, salt=b"arena-seeds").digest()


def _seed_grams_from_text() -> set[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for f in sorted(SEEDS.glob("0*.txt")):
        grams |= _ngrams(_words(f.read_text(encoding="utf-8", errors="replace")))
    return grams


@pytest.fixture(scope="module")
def seed_ngrams():
    """A set that answers `gram in seed_ngrams` (hashes of the seeds' 8-word runs)."""
    if SEEDS.is_dir() and list(SEEDS.glob("0*.txt")):
        return {_hash(g) for g in _seed_grams_from_text()}
    data = SEED_HASHES.read_bytes()
    return {data[i:i + 8] for i in range(0, len(data), 8)}


def test_seed_hashes_are_up_to_date():
    if not (SEEDS.is_dir() and list(SEEDS.glob("0*.txt"))):
        pytest.skip(f"no seed documents at {SEEDS}: the stored hashes are used as they are")
    expected = b"".join(sorted(_hash(g) for g in _seed_grams_from_text()))
    if os.environ.get("ARENA_WRITE_SEED_HASHES"):
        SEED_HASHES.parent.mkdir(parents=True, exist_ok=True)
        SEED_HASHES.write_bytes(expected)
    assert SEED_HASHES.read_bytes() == expected, "run with ARENA_WRITE_SEED_HASHES=1 to refresh"


@pytest.mark.parametrize("lang", LANGS)
def test_no_eight_word_run_from_a_seed(lang, seed_ngrams):
    copied = []
    for path in chapter_files(lang):
        text = "\n".join(s for _, s in _prose_lines(path, lang))
        for gram in sorted(g for g in _ngrams(_words(text)) if _hash(g) in seed_ngrams):
            copied.append(f"{path.relative_to(ROOT)}: “{' '.join(gram)}”")
    for fig_id, spec in FIGURES.items():
        for field in ("title", "note"):
            for gram in (g for g in _ngrams(_words(spec[field][lang])) if _hash(g) in seed_ngrams):
                copied.append(f"figures.yaml {fig_id}.{field}: “{' '.join(gram)}”")
    assert not copied, "runs of eight words that also stand in a seed:\n" + "\n".join(copied)


def _label(fig_id: str) -> str:
    # infographics are their own float kind (crossref custom key inf), as the source numbers them
    return fig_id if fig_id.startswith("fig-") else fig_id.replace("info-", "inf-")


INF_DIV = re.compile(r"^::: \{#(inf-[\w-]+)\}\n\n```\{python\}\n.*?^```\n\n(.*?)\n\n:::$", re.S | re.M)


def _figure_cells(lang: str) -> dict[str, list[tuple[Path, str]]]:
    cells = defaultdict(list)
    for path in chapter_files(lang):
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"^```\{python\}\n(.*?)^```", text, re.S | re.M):
            label = re.search(r"^#\|\s*label:\s*(\S+)", block, re.M)
            if label and label.group(1).startswith("fig-"):
                cap = re.search(r'^#\|\s*fig-cap:\s*"(.*)"\s*$', block, re.M)
                cells[label.group(1)].append((path, cap.group(1) if cap else ""))
        for label, cap in INF_DIV.findall(text):   # Quarto's div syntax: the last paragraph is the caption
            cells[label].append((path, cap))
    return cells


@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_is_placed_once_with_its_title(lang):
    cells = _figure_cells(lang)
    problems = []
    for fig_id, spec in FIGURES.items():
        placed = cells.get(_label(fig_id), [])
        if len(placed) != 1:
            problems.append(f"{fig_id}: placed {len(placed)} times")
        elif placed[0][1] != spec["title"][lang]:
            problems.append(f"{fig_id}: fig-cap differs from figures.yaml title ({placed[0][0].name})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_is_cited_in_the_text(lang):
    text = "\n".join(prose(p, lang) for p in chapter_files(lang))
    missing = [f for f in FIGURES if not re.search(r"@" + re.escape(_label(f)) + r"\b", text)]
    assert not missing, f"figures never referenced with @: {missing}"


def test_danish_and_english_chapters_are_in_step():
    da, en = chapter_files("da"), chapter_files("en")
    assert len(da) == len(en)
    for d, e in zip(da, en):
        dt, et = d.read_text(encoding="utf-8"), e.read_text(encoding="utf-8")
        labels = lambda t: re.findall(r"^#\|\s*label:\s*(\S+)|^::: \{#(\w+-[\w-]+)\}", t, re.M)  # noqa: E731
        assert labels(dt) == labels(et), f"{d.name} / {e.name}: figures differ"
        sections = lambda t: sorted(re.findall(r"\{#(sec-[\w-]+)", t))  # noqa: E731
        assert sections(dt) == sections(et), f"{d.name} / {e.name}: section ids differ"
