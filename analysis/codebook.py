"""The codebook: survey variables, answer scales and populations, read from YAML.

One reviewed file, `data/codebook/codebook.yaml`; everything downstream reads it through `load`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from analysis import filters
from analysis import inputs
from analysis.inputs import BadInput

LANGS = ("da", "en")

# Kinds of answer code (see docs/data-model.md). Only "substantive" codes are opinions.
CODE_KINDS = ("substantive", "not_relevant", "dont_know", "no_answer")


class CodebookError(BadInput):
    """The codebook itself is malformed (a reviewer's file, so fail loudly and precisely)."""


@dataclass(frozen=True)
class Code:
    code: int
    da: str
    en: str
    kind: str = "substantive"

    def label(self, lang: str) -> str:
        return getattr(self, lang)


@dataclass(frozen=True)
class Scale:
    id: str
    da: str
    en: str
    codes: tuple[Code, ...]
    nets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def values(self) -> list[int]:
        return [c.code for c in self.codes]

    def code(self, value: int) -> Code:
        for c in self.codes:
            if c.code == value:
                return c
        raise KeyError(f"scale {self.id!r} has no code {value!r}")

    def substantive(self) -> list[int]:
        return [c.code for c in self.codes if c.kind == "substantive"]


@dataclass(frozen=True)
class Population:
    id: str
    query: str
    da: str
    en: str


@dataclass(frozen=True)
class Variable:
    id: str
    kind: str
    scale: str
    population: str
    question: dict[str, str]
    battery: str | None = None
    question_group: str | None = None
    exclusive: bool = False
    hidden_codes: tuple[dict[str, Any], ...] = ()
    note: dict[str, str] | None = None


@dataclass
class Codebook:
    scales: dict[str, Scale]
    populations: dict[str, Population]
    batteries: dict[str, dict[str, str]]
    variables: dict[str, Variable]  # in column order

    @cached_property
    def columns(self) -> list[str]:
        return ["resp_id", *self.variables]

    def scale_of(self, variable_id: str) -> Scale:
        return self.scales[self.variables[variable_id].scale]

    def population_of(self, variable_id: str) -> Population:
        return self.populations[self.variables[variable_id].population]

    def group(self, question_group: str) -> list[Variable]:
        return [v for v in self.variables.values() if v.question_group == question_group]


def _merge(parts: list[tuple[str, dict]]) -> dict:
    merged: dict[str, Any] = {"scales": {}, "populations": {}, "batteries": {}, "variables": []}
    seen_vars: dict[str, str] = {}
    for name, part in parts:
        for section in ("scales", "populations", "batteries"):
            for key, value in (part.get(section) or {}).items():
                if key in merged[section] and merged[section][key] != value:
                    raise CodebookError(f"{name}: {section[:-1]} {key!r} is defined differently in another part")
                merged[section][key] = value
        for var in part.get("variables") or []:
            vid = var.get("id")
            if vid in seen_vars:
                raise CodebookError(f"{name}: variable {vid!r} is already defined in {seen_vars[vid]}")
            seen_vars[vid] = name
            merged["variables"].append(var)
    return merged


def merge_parts(parts_dir: Path) -> dict:
    """Merge `base.yaml` and the other parts (alphabetical) into one codebook dict."""
    files = sorted(parts_dir.glob("*.yaml"), key=lambda p: (p.name != "base.yaml", p.name))
    return _merge([(f.name, yaml.safe_load(f.read_text(encoding="utf-8")) or {}) for f in files])


def parse(raw: dict, source: str = "codebook") -> Codebook:
    """Turn the YAML structure into typed objects, checking every cross-reference."""
    try:
        return _parse(inputs.mapping(raw, source), source)
    except BadInput:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A missing or mistyped field deep in an entry: name what was being read.
        what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise CodebookError(f"{source}, {_reading[-1] if _reading else 'top level'}: {what}; rule: see "
                            "docs/data-model.md for the fields of a scale, population and variable") from None


_reading: list[str] = []   # where _parse is (for the message of an unexpected shape)


def _parse(raw: dict, source: str) -> Codebook:
    _reading.clear()
    scales = {}
    for sid, s in inputs.mapping(raw.get("scales") or {}, source, "key scales").items():
        _reading[:] = [f"scale {sid!r}"]
        codes = []
        for c in s["codes"]:
            if c.get("kind", "substantive") not in CODE_KINDS:
                raise CodebookError(f"{source}: scale {sid!r} code {c.get('code')!r} has unknown kind {c.get('kind')!r}")
            codes.append(Code(int(c["code"]), str(c["da"]), str(c["en"]), c.get("kind", "substantive")))
        if len({c.code for c in codes}) != len(codes):
            raise CodebookError(f"{source}: scale {sid!r} repeats a code; rule: each code once in a scale")
        scales[sid] = Scale(sid, s.get("da", sid), s.get("en", sid), tuple(codes), s.get("nets") or {})
    populations = {
        pid: Population(pid, p.get("query") or "", p.get("da", pid), p.get("en", pid))
        for pid, p in inputs.mapping(raw.get("populations") or {}, source, "key populations").items()
    }
    for pid, pop in populations.items():   # one filter language (analysis/filters.py)
        try:
            filters.parse(pop.query)
        except filters.FilterError as exc:
            raise CodebookError(f"{source}: population {pid!r}, query: {exc}") from None
    variables = {}
    for v in raw.get("variables") or []:
        _reading[:] = [f"variable {v.get('id', '(no id)') if isinstance(v, dict) else v!r}"]
        vid = v["id"]
        if vid in variables:
            raise CodebookError(f"{source}: variable {vid!r} is defined twice; rule: each variable once "
                                "(it names a column of the respondent file)")
        if v.get("scale") not in scales:
            raise CodebookError(f"{source}: variable {vid!r} uses unknown scale {v.get('scale')!r}; rule: "
                                f"a variable's scale is one of the scales: {', '.join(scales)}")
        if v.get("population", "all") not in populations:
            raise CodebookError(f"{source}: variable {vid!r} uses unknown population {v.get('population')!r}; "
                                f"rule: a variable's population is one of: {', '.join(populations)}")
        q = v.get("question") or {}
        if not all(q.get(lang) for lang in LANGS):
            raise CodebookError(f"{source}: variable {vid!r}, key question: needs question text in Danish and "
                                "English; rule: question has both da and en")
        variables[vid] = Variable(
            id=vid,
            kind=v.get("kind", "single"),
            scale=v["scale"],
            population=v.get("population", "all"),
            question=q,
            battery=v.get("battery"),
            question_group=v.get("question_group"),
            exclusive=bool(v.get("exclusive", False)),
            hidden_codes=_hidden_codes(v, source),
            note=v.get("note"),
        )
    for pid, pop in populations.items():   # a query names columns the file has
        unknown = sorted(set(filters.parse(pop.query).columns) - set(variables) - {"resp_id"})
        if unknown:
            raise CodebookError(f"{source}: population {pid!r}, query {pop.query!r}: unknown variable(s) "
                                f"{', '.join(unknown)}; rule: a query names variables of the codebook")
    batteries = raw.get("batteries", {}) or {}
    for v in variables.values():
        if v.battery and v.battery not in batteries:
            raise CodebookError(f"{source}: variable {v.id!r} names unknown battery {v.battery!r}; rule: a "
                                "variable's battery is one of the batteries")
    return Codebook(scales, populations, batteries, variables)


# libyaml's parser when PyYAML has it: the same safe constructor and resolver as
# `yaml.safe_load` (so the same objects), ~5x faster on the codebook.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _hidden_codes(v: dict, source: str) -> tuple[dict[str, Any], ...]:
    hidden = tuple(v.get("hidden_codes") or ())
    for h in hidden:
        try:
            filters.parse(h.get("query", ""))
        except filters.FilterError as exc:
            raise CodebookError(f"{source}: variable {v['id']!r}, hidden_codes query: {exc}") from None
    return hidden


def load_yaml(text: str) -> Any:
    """`yaml.safe_load(text)`, with the C parser if available."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def load(path: Path, name: str | None = None) -> Codebook:
    """The codebook file; every problem (encoding, YAML, shape, references) is a CodebookError."""
    return from_bytes(Path(path).read_bytes(), name or str(path))


def from_bytes(data: bytes, name: str) -> Codebook:
    try:
        raw = inputs.load_yaml(data, name)
    except CodebookError:
        raise
    except BadInput as exc:
        raise CodebookError(str(exc)) from None
    return parse(raw, source=name)
