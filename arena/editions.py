"""Editions: freeze the numbers of a released edition, and say what changed since the last one.

`release(project)` copies every number of the current build (`build/artifacts/numbers/numbers.json`)
with its displayed text in both languages, and every figure's table (`figures/figures.json`),
into `editions/<number>/` of the repository:

    editions/<number>/edition.json    {number, date}
    editions/<number>/numbers.json    {key: {key, unit, status, rests_on, value, count, base, p,
                                             figure, source, display_da, display_en}}
    editions/<number>/figures.json    {fig_id: {number, table: [{item, group, category, count,
                                                                 base, percent, status}]}}

The files are byte-stable (sorted keys, indent 1, UTF-8, trailing newline): releasing the same
build twice writes the same bytes, and a released edition is never overwritten with different
content unless asked to (`force=True`). Earlier editions stay where they are.

`diff(project)` compares the current build with the last released edition before the current
one: a number counts as changed when its displayed text (in either language) or its status
changed, or when it appeared or disappeared; a figure when any row's count, base, percent
(rounded to one decimal) or status changed, or a row appeared or disappeared. A value that
moves without moving its displayed text (45.1 -> 45.3, both shown as 45 %) is no change for
a reader, and is not listed.

`changes_markdown(changes, lang)` writes the "What changed in this edition" section.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import fmt
from analysis.rounding import half_up

__all__ = [
    "EditionError", "ArtifactsMissing", "NumberChange", "RowChange", "FigureChange", "Changes",
    "display", "release", "released", "last_release", "diff", "changes_markdown",
    "main_release", "main_diff", "register",
]

LANGS = ("da", "en")
NUMBERS_FILE = "numbers.json"
FIGURES_FILE = "figures.json"
EDITION_FILE = "edition.json"
NUMBER_FIELDS = ("key", "unit", "status", "rests_on", "value", "count", "base", "p", "figure", "source")
ROW_FIELDS = ("item", "group", "category", "count", "base", "percent", "status")
DEFAULT_SUPPRESS_BELOW = 5

PERCENT_DIGITS = {"pct": 0, "range": 0, "pct1": 1, "rate": 1, "nonresponse": 1}
P_UNITS = ("signif", "gof", "gof_ns")
COUNT_UNITS = ("count", "frame", "external")

STATUS_WORDS = {
    "printed": {"da": "Genskabt", "en": "Reproduced"},
    "assumed": {"da": "Antaget", "en": "Assumed"},
    "inconsistent": {"da": "Modstrid i kilden", "en": "Source inconsistency"},
    "differs": {"da": "Afviger", "en": "Differs"},
    "derived": {"da": "Afledt", "en": "Derived"},
}

ABSENT = "—"   # an em dash: nothing there (a number or row that appeared or disappeared)


class EditionError(Exception):
    """An edition cannot be released or compared: the message says why and what to do."""


class ArtifactsMissing(EditionError):
    """The build's artifacts are not there (yet)."""


# ---------------------------------------------------------------- displayed values

def _finite(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _count_text(value: float, lang: str) -> str:
    return fmt.number(value, lang, 0 if float(value).is_integer() else 1)


def display(number: dict, lang: str, suppress_below: int | None = None) -> str:
    """The text the report shows for a number (a dict of numbers.json) in `lang`.

    A suppressed number shows as "< N": N is the number's own `suppress_below` when it has one,
    else `suppress_below`, else 5. A number without a value shows as an em dash."""
    fmt.locale(lang)   # a clear error for an unknown language
    if number.get("suppressed"):
        n = number.get("suppress_below") or suppress_below or DEFAULT_SUPPRESS_BELOW
        return f"< {fmt.number(n, lang)}"
    unit = number.get("unit", "")
    if unit in P_UNITS:
        p = _finite(number.get("p"))
        p = p if p is not None else _finite(number.get("value"))
        return ABSENT if p is None else fmt.p_value(p, lang)
    value = _finite(number.get("value"))
    if unit not in PERCENT_DIGITS and unit != "diff_gt" and unit not in COUNT_UNITS:
        raise EditionError(f"number {number.get('key', '?')!r}: unknown unit {unit!r}")
    if value is None:
        return ABSENT
    if unit in PERCENT_DIGITS:
        return fmt.percent(value, lang, PERCENT_DIGITS[unit])
    if unit == "diff_gt":
        return fmt.percent(abs(value), lang, 0)
    return _count_text(value, lang)


# ---------------------------------------------------------------- reading and writing

def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _read_json(path: Path, what: str, project=None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        # The file relative to the project root (else the working folder), never absolute.
        shown = _show(project, path) if project is not None else str(path)
        if Path(shown).is_absolute():
            try:
                shown = str(path.resolve().relative_to(Path.cwd().resolve()))
            except ValueError:
                pass
        reason = exc.strerror if isinstance(exc, OSError) else exc
        raise EditionError(f"{shown}: cannot read {what}: {reason}; rule: a released edition is written by "
                           "`arena release` and never edited — restore it from version control") from None


def _artifact(project, *parts: str) -> Path:
    return Path(project.artifacts).joinpath(*parts)


def _current(project) -> tuple[dict, dict]:
    """The current build's numbers and figures, as the build wrote them."""
    numbers_path = _artifact(project, "numbers", NUMBERS_FILE)
    figures_path = _artifact(project, "figures", FIGURES_FILE)
    for path in (numbers_path, figures_path):
        if not path.is_file():
            raise ArtifactsMissing(f"{_show(project, path)} is missing: run arena build first")
    numbers = _read_json(numbers_path, "the numbers", project)
    figures = _read_json(figures_path, "the figures", project)
    if not isinstance(numbers, dict) or not isinstance(figures, dict):
        raise EditionError(f"{_show(project, numbers_path.parent.parent)}: numbers.json and figures.json "
                           "must each hold an object keyed by id: run arena build again")
    return numbers, figures


def _show(project, path: Path) -> str:
    show = getattr(project, "show", None)
    return show(path) if show else str(path)


def _suppress_below(project) -> int | None:
    try:
        return int(project.suppress_below) or None
    except Exception:   # noqa: BLE001  (a project without the setting: the default applies)
        return None


def _clean(value: Any) -> Any:
    """JSON-safe and stable: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frozen_numbers(numbers: dict, suppress_below: int | None) -> dict:
    out = {}
    for key, number in numbers.items():
        if not isinstance(number, dict):
            raise EditionError(f"numbers.json, key {key!r}: expected an object")
        entry = {f: _clean(number.get(f)) for f in NUMBER_FIELDS}
        entry["key"] = key
        for f in ("rests_on", "figure", "source"):
            entry[f] = entry[f] or ""
        for lang in LANGS:
            entry[f"display_{lang}"] = display(number, lang, suppress_below)
        out[key] = entry
    return out


def _frozen_figures(figures: dict) -> dict:
    out = {}
    for fig_id, rec in figures.items():
        if not isinstance(rec, dict):
            raise EditionError(f"figures.json, key {fig_id!r}: expected an object")
        rows = [{f: _clean(row.get(f)) for f in ROW_FIELDS} for row in (rec.get("table") or [])]
        out[fig_id] = {"number": rec.get("number"), "table": rows}
    return out


def _edition_dir(project, number: int) -> Path:
    return Path(project.editions) / str(number)


def released(project) -> list[int]:
    """The numbers of the released editions in the repository, lowest first."""
    folder = Path(project.editions)
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir()
                  if p.is_dir() and p.name.isdigit() and (p / NUMBERS_FILE).is_file())


def last_release(project, before: int | None = None) -> int | None:
    """The highest released edition below `before` (default: the current edition), or None."""
    limit = project.edition.number if before is None else before
    earlier = [n for n in released(project) if n < limit]
    return max(earlier) if earlier else None


# ---------------------------------------------------------------- release

def _release(project, force: bool = False) -> tuple[Path, bool, dict, dict]:
    numbers, figures = _current(project)
    edition = project.edition
    frozen_numbers = _frozen_numbers(numbers, _suppress_below(project))
    frozen_figures = _frozen_figures(figures)
    files = {
        EDITION_FILE: _dump({"number": edition.number, "date": edition.date}),
        NUMBERS_FILE: _dump(frozen_numbers),
        FIGURES_FILE: _dump(frozen_figures),
    }
    folder = _edition_dir(project, edition.number)
    existing = {name: (folder / name).read_bytes() for name in files if (folder / name).is_file()}
    if existing == files:
        return folder, False, frozen_numbers, frozen_figures
    if existing and not force:
        differing = sorted(name for name, data in files.items() if existing.get(name) != data)
        raise EditionError(
            f"edition {edition.number} is already released in {_show(project, folder)} with different "
            f"content ({', '.join(differing)}): raise arena.edition.number in "
            f"{_show(project, project.config_file)} for a new "
            "edition, or release again with --force to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
    return folder, True, frozen_numbers, frozen_figures


def release(project, force: bool = False) -> Path:
    """Freeze the current edition's numbers and figures into `editions/<number>/`; its folder.

    Releasing identical content again changes nothing; different content for an edition already
    released raises EditionError unless `force`."""
    return _release(project, force)[0]


# ---------------------------------------------------------------- diff

@dataclass
class NumberChange:
    key: str
    figure: str                          # figure id ("" when the number belongs to none)
    figure_number: int | None
    source: str                          # file:line in the source report ("" when none)
    old_display: dict | None             # {lang: text}; None: the number is new
    new_display: dict | None             # None: the number is gone
    old_status: str | None
    new_status: str | None

    @property
    def added(self) -> bool:
        return self.old_display is None

    @property
    def removed(self) -> bool:
        return self.new_display is None

    @property
    def kind(self) -> str:
        return "added" if self.added else "removed" if self.removed else "changed"


@dataclass
class RowChange:
    item: Any
    group: Any
    category: Any
    old: dict | None                     # the row in the earlier edition; None: a new row
    new: dict | None                     # the row now; None: the row is gone


@dataclass
class FigureChange:
    id: str
    number: int | None
    rows: list[RowChange] = field(default_factory=list)


@dataclass
class Changes:
    numbers: list[NumberChange] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)
    since: int | None = None             # the edition compared with; None: a first edition
    edition: int | None = None           # the current edition

    @property
    def is_first(self) -> bool:
        return self.since is None

    def __bool__(self) -> bool:
        return bool(self.numbers or self.figures)


def _released_files(project, number: int) -> tuple[dict, dict]:
    folder = _edition_dir(project, number)
    if not (folder / NUMBERS_FILE).is_file():
        raise EditionError(f"edition {number} is not released: no {_show(project, folder / NUMBERS_FILE)}")
    numbers = _read_json(folder / NUMBERS_FILE, f"edition {number}'s numbers", project)
    figures_path = folder / FIGURES_FILE
    figures = _read_json(figures_path, f"edition {number}'s figures", project) if figures_path.is_file() else {}
    return numbers, figures


def _row_key(row: dict) -> str:
    return json.dumps([row.get("item"), row.get("group"), row.get("category")], sort_keys=True,
                      ensure_ascii=False, default=str)


def _keyed_rows(rows: list[dict]) -> dict[tuple[str, int], dict]:
    """Rows by (item, group, category), numbered when the same triple occurs more than once."""
    seen: dict[str, int] = {}
    out = {}
    for row in rows:
        k = _row_key(row)
        out[(k, seen.get(k, 0))] = row
        seen[k] = seen.get(k, 0) + 1
    return out


def _row_signature(row: dict) -> tuple:
    percent = _finite(row.get("percent"))
    return (row.get("count"), row.get("base"), None if percent is None else half_up(percent, 1),
            row.get("status"))


def _figure_changes(old: dict, new: dict) -> list[FigureChange]:
    out = []
    for fig_id in sorted(set(old) | set(new)):
        old_rows = _keyed_rows((old.get(fig_id) or {}).get("table") or [])
        new_rows = _keyed_rows((new.get(fig_id) or {}).get("table") or [])
        rows = []
        order = list(new_rows) + [k for k in old_rows if k not in new_rows]
        for k in order:
            a, b = old_rows.get(k), new_rows.get(k)
            if a is not None and b is not None and _row_signature(a) == _row_signature(b):
                continue
            ref = b if b is not None else a
            rows.append(RowChange(ref.get("item"), ref.get("group"), ref.get("category"),
                                  None if a is None else {f: a.get(f) for f in ROW_FIELDS},
                                  None if b is None else {f: b.get(f) for f in ROW_FIELDS}))
        if rows:
            number = (new.get(fig_id) or old.get(fig_id) or {}).get("number")
            out.append(FigureChange(fig_id, number, rows))
    out.sort(key=lambda f: (f.number is None, f.number if f.number is not None else 0, f.id))
    return out


def _compare(old_numbers: dict, new_numbers: dict, old_figures: dict, new_figures: dict,
             since: int | None, edition: int | None) -> Changes:
    def fig_number(fig_id: str) -> int | None:
        rec = new_figures.get(fig_id) or old_figures.get(fig_id) or {}
        return rec.get("number")

    numbers = []
    for key in sorted(set(old_numbers) | set(new_numbers)):
        a, b = old_numbers.get(key), new_numbers.get(key)
        a_display = None if a is None else {lang: a.get(f"display_{lang}") for lang in LANGS}
        b_display = None if b is None else {lang: b.get(f"display_{lang}") for lang in LANGS}
        a_status = None if a is None else a.get("status")
        b_status = None if b is None else b.get("status")
        if a is not None and b is not None and a_display == b_display and a_status == b_status:
            continue
        ref = b if b is not None else a
        figure = ref.get("figure") or ""
        numbers.append(NumberChange(key, figure, fig_number(figure) if figure else None,
                                    ref.get("source") or "", a_display, b_display, a_status, b_status))
    return Changes(numbers, _figure_changes(old_figures, new_figures), since, edition)


def diff(project, old: int | None = None) -> Changes:
    """What changed between the current build and the last released edition (or edition `old`).

    Without an earlier edition (a first edition) nothing is compared: `Changes.is_first`."""
    numbers, figures = _current(project)
    current = project.edition.number
    since = old if old is not None else last_release(project)
    if since is None:
        return Changes([], [], None, current)
    old_numbers, old_figures = _released_files(project, since)
    return _compare(old_numbers, _frozen_numbers(numbers, _suppress_below(project)),
                    old_figures, _frozen_figures(figures), since, current)


# ---------------------------------------------------------------- the page section



def _t(name: str, lang: str) -> str:
    from analysis import words

    return words.get(lang, f"changes.{name}")


def _counted(n: int, noun: str, lang: str) -> str:
    return _t(f"{noun}_one" if n == 1 else f"{noun}_many", lang).format(n=fmt.number(n, lang))


def _status_word(status: str | None, lang: str) -> str:
    if not status:
        return ABSENT
    return STATUS_WORDS.get(status, {}).get(lang, status)


def _status_change(old: str | None, new: str | None, lang: str) -> str:
    if old == new or old is None or new is None:
        return _status_word(new if new is not None else old, lang)
    return f"{_status_word(old, lang)} → {_status_word(new, lang)}"


def _figure_label(fig_id: str, number: int | None, lang: str) -> str:
    if number is not None:
        return _t("figure", lang).format(n=fmt.number(number, lang))
    return fig_id or ABSENT


def _cell(text: Any) -> str:
    s = "" if text is None else str(text)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or ABSENT


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _row_text(row: dict | None, lang: str, gone: bool) -> str:
    if row is None:
        return _t("gone" if gone else "new", lang)
    percent = _finite(row.get("percent"))
    shown = fmt.percent(percent, lang, 1) if percent is not None else ABSENT
    count, base = row.get("count"), row.get("base")
    if isinstance(count, (int, float)) and isinstance(base, (int, float)):
        shown += f" ({fmt.count_of(count, base, lang)})"
    return shown


def changes_markdown(changes: Changes, lang: str, heading_level: int = 2) -> str:
    """The "What changed in this edition" section in `lang` ('da' or 'en'), as Markdown.

    `heading_level` 0 leaves out the heading (the page gives its own)."""
    fmt.locale(lang)
    out: list[str] = []
    if heading_level:
        out += ["#" * heading_level + " " + _t("heading", lang), ""]
    if changes.is_first:
        out.append(_t("first", lang))
        return "\n".join(out) + "\n"
    since = fmt.number(changes.since, lang)
    if not changes.numbers and not changes.figures:
        out.append(_t("none", lang).format(since=since))
        return "\n".join(out) + "\n"
    out.append(_t("some", lang).format(since=since, numbers=_counted(len(changes.numbers), "number", lang),
                                       figures=_counted(len(changes.figures), "figure", lang)))
    if changes.numbers:
        rows = []
        for c in changes.numbers:
            before = _t("new", lang) if c.added else c.old_display[lang]
            now = _t("gone", lang) if c.removed else c.new_display[lang]
            figure = _figure_label(c.figure, c.figure_number, lang) if c.figure else ABSENT
            rows.append([c.source or ABSENT, figure, before, now,
                         _status_change(c.old_status, c.new_status, lang)])
        out += ["", _t("numbers_intro", lang), ""]
        out += _table([_t(k, lang) for k in ("col_source", "col_figure", "col_before", "col_now", "col_status")],
                      rows)
    if changes.figures:
        rows = []
        for f in changes.figures:
            label = _figure_label(f.id, f.number, lang)
            for r in f.rows:
                group = _count_text(r.group, lang) if _finite(r.group) is not None else r.group
                rows.append([label, r.item, group, r.category,
                             _row_text(r.old, lang, gone=False), _row_text(r.new, lang, gone=True),
                             _status_change((r.old or {}).get("status"), (r.new or {}).get("status"), lang)])
        out += ["", _t("figures_intro", lang), ""]
        out += _table([_t(k, lang) for k in ("col_figure", "col_item", "col_group", "col_category",
                                             "col_before", "col_now", "col_status")], rows)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- command line

def _where(c: NumberChange) -> str:
    figure = ""
    if c.figure:
        figure = c.figure if c.figure_number is None else f"{c.figure} = figure {c.figure_number}"
    return "/".join(p for p in (c.source, figure) if p) or "no source place"


def _line(c: NumberChange) -> str:
    old = ABSENT if c.added else c.old_display["en"]
    new = ABSENT if c.removed else c.new_display["en"]
    if c.old_display and c.new_display and c.old_display["da"] != c.new_display["da"] \
            and old == new:   # only the Danish text moved: show it
        old, new = c.old_display["da"], c.new_display["da"]
    status = c.new_status if c.old_status == c.new_status else \
        f"{c.old_status or ABSENT} → {c.new_status or ABSENT}"
    return f"{c.key} ({_where(c)}): {old} → {new} [{status}]"


def _fail(message: str) -> int:
    print(f"arena: {message}", file=sys.stderr)
    return 1


def main_diff(args: argparse.Namespace) -> int:
    """`arena diff [--since N]`: what changed since the last released edition (exit 0)."""
    from arena.project import Project, ProjectError

    try:
        project = Project.find()
        changes = diff(project, getattr(args, "since", None))
    except (ProjectError, EditionError) as exc:
        return _fail(str(exc))
    if changes.is_first:
        print(f"edition {changes.edition}: no earlier edition is released; this is a first edition")
        return 0
    print(f"edition {changes.edition} since edition {changes.since}: {len(changes.numbers)} number(s) "
          f"and {len(changes.figures)} figure(s) changed")
    for c in changes.numbers:
        print(_line(c))
    for f in changes.figures:
        label = f.id if f.number is None else f"{f.id} = figure {f.number}"
        print(f"{label}: {len(f.rows)} table row(s) changed")
    return 0


def main_release(args: argparse.Namespace) -> int:
    """`arena release [--force]`: freeze the current edition into editions/<number>/."""
    from arena.project import Project, ProjectError

    try:
        project = Project.find()
        folder, wrote, numbers, figures = _release(project, bool(getattr(args, "force", False)))
        since = last_release(project)
    except (ProjectError, EditionError) as exc:
        return _fail(str(exc))
    edition = project.edition
    what = "released" if wrote else "already released with the same content"
    print(f"edition {edition.number} ({edition.date}) {what}: {len(numbers)} numbers, "
          f"{len(figures)} figures in {_show(project, folder)}")
    if since is not None:
        try:
            changes = diff(project, since)
        except EditionError as exc:
            return _fail(str(exc))
        print(f"since edition {since}: {len(changes.numbers)} number(s) and {len(changes.figures)} "
              "figure(s) changed (arena diff lists them)")
    return 0
