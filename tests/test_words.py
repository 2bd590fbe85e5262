"""The words catalogue: every text in Danish and English, and every key the code asks for exists."""
from __future__ import annotations

import re
import string
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = yaml.safe_load((REPO / "analysis" / "words.yaml").read_text(encoding="utf-8"))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_text_has_danish_and_english_with_the_same_placeholders() -> None:
    problems = []
    for key, texts in CATALOGUE.items():
        if set(texts) != {"da", "en"} or not all(str(texts[l]).strip() for l in ("da", "en")):
            problems.append(f"{key}: {texts}")
        elif _fields(texts["da"]) != _fields(texts["en"]):
            problems.append(f"{key}: placeholders differ")
    assert not problems, problems


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    asked = set()
    for path in list((REPO / "analysis").glob("*.py")) + list((REPO / "arena").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""words\.get\([^,]+,\s*["']([\w.]+)["']""", text))
        # prefixes asked through words.section(lang, "prefix")
        for prefix in re.findall(r"""section\([^,]+,\s*["'](\w+)["']\)""", text):
            assert any(k.startswith(prefix + ".") for k in CATALOGUE), f"{path.name}: no texts under {prefix!r}"
    missing = sorted(k for k in asked if k not in CATALOGUE)
    assert asked and not missing, missing


def test_statuses_have_readable_names_in_both_languages() -> None:
    from analysis.numbers import STATUSES

    for status in STATUSES:
        assert {"da", "en"} <= set(CATALOGUE[f"status.{status}"]), status
