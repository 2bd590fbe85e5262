"""Quarto project configuration: `_quarto.yml` merged with a profile file, and language words."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGS = ("da", "en")

# The words the renderer itself writes. Danish words follow Quarto's own Danish translation
# (src/resources/language/_language-da.yml: "apx" is crossref-apx-prefix, "appendices" is
# section-title-appendices, the heading of the appendix part).
WORDS: dict[str, dict[str, str]] = {
    "da": {
        "language_name": "Dansk", "fig": "Figur", "tbl": "Tabel", "chapter": "Kapitel",
        "apx": "Bilag", "appendices": "Bilag",
        "contents": "Indhold", "toc": "På denne side", "previous": "Forrige", "next": "Næste",
        "download_pdf": "Hent rapporten som PDF", "switch": "Read in English",
        "callout-note": "Bemærk", "callout-tip": "Tip", "callout-warning": "Advarsel",
        "callout-important": "Vigtigt", "callout-caution": "Forsigtig",
        "footnotes": "Fodnoter", "skip": "Gå til indholdet", "menu": "Menu",
        "search": "Søg", "search_placeholder": "Søg i rapporten", "search_one": "1 resultat",
        "search_many": "{n} resultater", "search_none": "Ingen resultater for «{q}»",
        "search_offline": "Søgningen virker, når siderne hentes fra en webserver (fx arena serve), ikke fra filer.",
    },
    "en": {
        "language_name": "English", "fig": "Figure", "tbl": "Table", "chapter": "Chapter",
        "apx": "Appendix", "appendices": "Appendices",
        "contents": "Contents", "toc": "On this page", "previous": "Previous", "next": "Next",
        "download_pdf": "Download the report as PDF", "switch": "Læs på dansk",
        "callout-note": "Note", "callout-tip": "Tip", "callout-warning": "Warning",
        "callout-important": "Important", "callout-caution": "Caution",
        "footnotes": "Footnotes", "skip": "Skip to content", "menu": "Menu",
        "search": "Search", "search_placeholder": "Search the report", "search_one": "1 result",
        "search_many": "{n} results", "search_none": "No results for “{q}”",
        "search_offline": "Search works when the pages come from a web server (e.g. arena serve), not from files.",
    },
}


def merge(base: Any, over: Any) -> Any:
    """Quarto's merge of a profile into _quarto.yml: objects merge key by key, arrays are
    appended (duplicates dropped), scalars from the profile win."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for k, v in over.items():
            out[k] = merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(over, list):
        out = list(base)
        for v in over:
            if v not in out:
                out.append(copy.deepcopy(v))
        return out
    return copy.deepcopy(over)


@dataclass
class Chapter:
    path: str            # relative to the project root, e.g. "chapters/da/01-om-rapporten.qmd"
    index: int           # position in the book (0 = index.qmd)
    part: str | None = None
    appendix: bool = False   # listed under `book: appendices:` (lettered A, B, … like Quarto)

    @property
    def html_path(self) -> str:
        return str(Path(self.path).with_suffix(".html"))


@dataclass
class Project:
    root: Path
    profile: str
    config: dict

    @property
    def lang(self) -> str:
        return str(self.config.get("lang", self.profile))

    @property
    def book(self) -> dict:
        return self.config.get("book", {}) or {}

    @property
    def output_dir(self) -> str:
        return str(self.config.get("project", {}).get("output-dir", f"_site/{self.profile}"))

    @property
    def output_file(self) -> str:
        return str(self.book.get("output-file", f"arena-{self.lang}"))

    @property
    def custom_floats(self) -> list[dict]:
        """Quarto's custom float kinds (`crossref: custom:` in the profile), e.g. the infographics."""
        out = []
        for c in (self.config.get("crossref") or {}).get("custom") or []:
            if not isinstance(c, dict) or c.get("kind") != "float" or not c.get("key"):
                raise ValueError(f"_quarto-{self.profile}.yml: crossref.custom: each entry needs "
                                 "kind: float and a key (Quarto's custom cross-reference kinds)")
            out.append(c)
        return out

    @property
    def float_kinds(self) -> tuple[str, ...]:
        return ("fig", "tbl", *(c["key"] for c in self.custom_floats))

    @property
    def words(self) -> dict[str, str]:
        # a custom kind's word is its reference prefix, as in Quarto (caption prefix if it differs)
        out = dict(WORDS[self.lang])
        for c in self.custom_floats:
            out[c["key"]] = str(c.get("reference-prefix", c["key"]))
            out[c["key"] + "-caption"] = str(c.get("caption-prefix", out[c["key"]]))
        return out

    def chapters(self) -> list[Chapter]:
        out: list[Chapter] = []

        def walk(items: list, part: str | None, appendix: bool = False) -> None:
            for item in items or []:
                if isinstance(item, str):
                    out.append(Chapter(item, len(out), part, appendix))
                elif isinstance(item, dict) and "chapters" in item:
                    walk(item["chapters"], item.get("part"), appendix)
                elif isinstance(item, dict) and "part" in item:
                    out.append(Chapter(item["part"], len(out), None, appendix))

        walk(self.book.get("chapters", []), None)
        walk(self.book.get("appendices") or [], None, appendix=True)
        return out

    def fmt(self, name: str) -> dict:
        fmt = (self.config.get("format") or {}).get(name) or {}
        return fmt if isinstance(fmt, dict) else {}


def load(root: Path, profile: str) -> Project:
    prof_file = root / f"_quarto-{profile}.yml"
    if not prof_file.exists():
        raise FileNotFoundError(f"profile file {prof_file.name} not found")
    merged = _merged((root / "_quarto.yml").read_bytes(), prof_file.read_bytes(), prof_file.name)
    return Project(root, profile, copy.deepcopy(merged))


@lru_cache(maxsize=8)
def _merged(base_bytes: bytes, profile_bytes: bytes, profile_name: str) -> dict:
    """The merged configuration, by the files' bytes: a kernel asks for it dozens of times."""
    from analysis.inputs import load_yaml, mapping

    base = mapping(load_yaml(base_bytes, "_quarto.yml", allow_empty=True) or {}, "_quarto.yml")
    over = mapping(load_yaml(profile_bytes, profile_name, allow_empty=True) or {}, profile_name)
    return merge(base, over)
