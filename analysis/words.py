"""The report's own words in Danish and English, from one catalogue (`words.yaml`)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CATALOGUE = Path(__file__).with_name("words.yaml")
LANGS = ("da", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    # The C parser when PyYAML has it: every page build reads the catalogue (~0.1 s in pure Python).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(CATALOGUE.read_text(encoding="utf-8"), Loader=loader)


def get(lang: str, key: str, **values: object) -> str:
    """The text of `key` in `lang`, with `{name}` placeholders filled from `values`."""
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no text {key!r} in {lang!r} in {CATALOGUE.name}") from None
    return text.format(**values) if values else text


def section(lang: str, prefix: str) -> dict[str, str]:
    """Every text under `prefix.` in `lang`, keyed by the rest of its key."""
    start = prefix + "."
    return {k[len(start):]: v[lang] for k, v in catalogue().items() if k.startswith(start)}
