"""Editions: release freezes the numbers byte-stably; diff lists what a reader sees change."""
from __future__ import annotations

import argparse
import copy
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from arena import editions
from arena.editions import EditionError
from arena.project import Project

# ---------------------------------------------------------------- a tiny project


def _n(key, unit, value, status="printed", *, p=None, figure="", source="", suppressed=False, **extra):
    return {"key": key, "unit": unit, "status": status, "rests_on": "printed" if status != "derived" else "data",
            "value": value, "count": None, "base": None, "p": p, "figure": figure, "source": source,
            "printed": "", "suppressed": suppressed, **extra}


OLD_NUMBERS = {n["key"]: n for n in [
    _n("a.moves", "pct", 45.4, figure="fig-01", source="001_x.txt:409"),   # 45 % -> 46 %: listed
    _n("b.still", "pct", 45.1, source="001_x.txt:12"),                     # 45 % -> 45 %: not listed
    _n("c.status", "pct", 30.0, source="001_x.txt:20"),                    # printed -> differs: listed
    _n("d.removed", "count", 12, source="001_x.txt:30"),                   # gone: listed
    _n("f.same", "count", 608),                                            # unchanged
    _n("g.pfloor", "signif", 0.0004, "derived", p=0.0004),                 # p < 0.001 both times
    _n("h.pct1", "pct1", 12.34, figure="fig-02"),                          # 12.3 % -> 12.4 %: listed
    _n("i.diff", "diff_gt", -7.2, "derived"),                              # 7 % -> 7 %: not listed
]}

NEW_NUMBERS = copy.deepcopy(OLD_NUMBERS)
NEW_NUMBERS["a.moves"]["value"] = 45.6
NEW_NUMBERS["b.still"]["value"] = 45.3
NEW_NUMBERS["c.status"]["status"] = "differs"
del NEW_NUMBERS["d.removed"]
NEW_NUMBERS["e.added"] = _n("e.added", "pct", 61.0, "assumed", source="001_x.txt:50")
NEW_NUMBERS["g.pfloor"]["p"] = NEW_NUMBERS["g.pfloor"]["value"] = 0.0008
NEW_NUMBERS["h.pct1"]["value"] = 12.36
NEW_NUMBERS["i.diff"]["value"] = 6.8


def _row(item, category, count, base, status="printed", group=None):
    return {"item": item, "group": group, "category": category, "count": count, "base": base,
            "percent": 100 * count / base, "status": status, "rests_on": "printed"}


OLD_FIGURES = {
    "fig-01": {"id": "fig-01", "number": 1, "table": [_row("q1", "agree", 30, 60), _row("q1", "disagree", 30, 60)]},
    "fig-02": {"id": "fig-02", "number": 2, "table": [_row("q2", "yes", 10, 40), _row("q2", "no", 30, 40)]},
    "fig-03": {"id": "fig-03", "number": 3, "table": [_row("q3", "yes", 5, 10, group=1.0)]},
}
NEW_FIGURES = copy.deepcopy(OLD_FIGURES)
NEW_FIGURES["fig-01"]["table"][0] = _row("q1", "agree", 31, 60)            # a count moves: listed
NEW_FIGURES["fig-02"]["table"][1]["percent"] = 75.04                        # 75.0 -> 75.0: not listed
NEW_FIGURES["fig-03"]["table"][0]["status"] = "differs"                     # a status: listed


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")


def _configure(root: Path, number: int, date: str = "2026-12-06") -> Project:
    (root / "_quarto.yml").write_text(
        f'project: {{type: book}}\nbook: {{date: "{date}"}}\narena:\n  edition: {{number: {number}}}\n',
        encoding="utf-8")
    return Project.load(root)


def _build(root: Path, numbers: dict, figures: dict) -> None:
    _write(root / "build" / "artifacts" / "numbers" / "numbers.json", numbers)
    _write(root / "build" / "artifacts" / "figures" / "figures.json", figures)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "proj"


@pytest.fixture
def released_then_changed(root: Path) -> Project:
    """Edition 1 released from OLD_*, then the build of edition 2 from NEW_*."""
    root.mkdir()
    _build(root, OLD_NUMBERS, OLD_FIGURES)
    editions.release(_configure(root, 1, "2026-06-01"))
    _build(root, NEW_NUMBERS, NEW_FIGURES)
    return _configure(root, 2)


# ---------------------------------------------------------------- what the test expects, independently

def _shown(n: dict) -> str | None:
    """The value as rounded for display, computed here from the inputs (not by arena)."""
    if n["unit"] in ("signif", "gof", "gof_ns"):
        return "<0.001" if n["p"] < 0.001 else str(Decimal(repr(n["p"])).quantize(Decimal("0.001"), ROUND_HALF_UP))
    digits = {"pct": 0, "pct1": 1, "count": 0, "diff_gt": 0}[n["unit"]]
    value = abs(n["value"]) if n["unit"] == "diff_gt" else n["value"]
    return str(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))


def _expected_keys() -> set[str]:
    keys = set(OLD_NUMBERS) ^ set(NEW_NUMBERS)
    for key in set(OLD_NUMBERS) & set(NEW_NUMBERS):
        a, b = OLD_NUMBERS[key], NEW_NUMBERS[key]
        if _shown(a) != _shown(b) or a["status"] != b["status"]:
            keys.add(key)
    return keys


def _expected_figures() -> dict[str, int]:
    def sig(r):
        return r["count"], r["base"], Decimal(repr(r["percent"])).quantize(Decimal("0.1"), ROUND_HALF_UP), r["status"]

    out = {}
    for fig in set(OLD_FIGURES) | set(NEW_FIGURES):
        old = {(r["item"], r["group"], r["category"]): sig(r) for r in OLD_FIGURES.get(fig, {}).get("table", [])}
        new = {(r["item"], r["group"], r["category"]): sig(r) for r in NEW_FIGURES.get(fig, {}).get("table", [])}
        changed = sum(old.get(k) != new.get(k) for k in set(old) | set(new))
        if changed:
            out[fig] = changed
    return out


def test_expectations_are_not_trivial():
    # the inputs exercise both sides: moves that show, and moves that do not
    assert _expected_keys() == {"a.moves", "c.status", "d.removed", "e.added", "h.pct1"}
    assert _expected_figures() == {"fig-01": 1, "fig-03": 1}


# ---------------------------------------------------------------- diff

def test_diff_lists_exactly_the_numbers_whose_display_or_status_changed(released_then_changed):
    changes = editions.diff(released_then_changed)
    assert changes.since == 1 and not changes.is_first
    assert {c.key for c in changes.numbers} == _expected_keys()
    by_key = {c.key: c for c in changes.numbers}
    a = by_key["a.moves"]
    assert a.old_display == {"da": "45\u00a0%", "en": "45%"} and a.new_display == {"da": "46\u00a0%", "en": "46%"}
    assert (a.figure, a.figure_number, a.source) == ("fig-01", 1, "001_x.txt:409")
    assert (by_key["c.status"].old_status, by_key["c.status"].new_status) == ("printed", "differs")
    assert by_key["d.removed"].removed and by_key["d.removed"].new_display is None
    assert by_key["e.added"].added and by_key["e.added"].new_status == "assumed"
    assert by_key["h.pct1"].new_display["da"] == "12,4\u00a0%"


def test_diff_lists_exactly_the_figures_whose_table_changed(released_then_changed):
    changes = editions.diff(released_then_changed)
    assert {f.id: len(f.rows) for f in changes.figures} == _expected_figures()
    fig1 = next(f for f in changes.figures if f.id == "fig-01")
    (row,) = fig1.rows
    assert (row.item, row.category, row.old["count"], row.new["count"]) == ("q1", "agree", 30, 31)


def test_diff_with_an_explicit_old_edition_and_a_missing_one(released_then_changed):
    assert {c.key for c in editions.diff(released_then_changed, old=1).numbers} == _expected_keys()
    with pytest.raises(EditionError, match="edition 7 is not released"):
        editions.diff(released_then_changed, old=7)


def test_a_first_edition_says_so(root):
    root.mkdir()
    _build(root, NEW_NUMBERS, NEW_FIGURES)
    project = _configure(root, 2)
    assert editions.last_release(project) is None
    changes = editions.diff(project)
    assert changes.is_first and changes.since is None and changes.numbers == [] and changes.figures == []
    da, en = editions.changes_markdown(changes, "da"), editions.changes_markdown(changes, "en")
    assert "første udgave" in da and "first edition" in en
    assert "|" not in da + en   # one sentence, no table


def test_an_unchanged_build_lists_nothing(root):
    root.mkdir()
    _build(root, OLD_NUMBERS, OLD_FIGURES)
    editions.release(_configure(root, 1))
    changes = editions.diff(_configure(root, 2))
    assert changes.since == 1 and changes.numbers == [] and changes.figures == []
    assert "siden udgave 1" in editions.changes_markdown(changes, "da")


def test_last_release_is_the_highest_below_the_current_edition(root):
    root.mkdir()
    _build(root, OLD_NUMBERS, OLD_FIGURES)
    for n in (1, 3, 5):
        editions.release(_configure(root, n))
    (root / "editions" / "notes").mkdir()                       # not an edition
    (root / "editions" / "4").mkdir()                           # no numbers.json: not released
    project = _configure(root, 5)
    assert editions.released(project) == [1, 3, 5]
    assert editions.last_release(project) == 3
    assert editions.last_release(project, before=3) == 1
    assert editions.last_release(project, before=1) is None
    assert editions.diff(project).since == 3


# ---------------------------------------------------------------- release

def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_release_is_byte_stable_and_complete(root):
    root.mkdir()
    _build(root, NEW_NUMBERS, NEW_FIGURES)
    project = _configure(root, 2)
    folder = editions.release(project)
    assert folder == root / "editions" / "2"
    first = _tree(folder)
    assert set(first) == {"edition.json", "numbers.json", "figures.json"}
    assert editions.release(project) == folder           # identical content again: fine
    assert _tree(folder) == first
    # a fresh copy from the same inputs gives the same bytes
    other = root.parent / "other"
    other.mkdir()
    _build(other, dict(reversed(list(NEW_NUMBERS.items()))), NEW_FIGURES)
    assert _tree(editions.release(_configure(other, 2))) == first
    for data in first.values():
        text = data.decode("utf-8")
        assert text.endswith("}\n") and json.dumps(json.loads(text), sort_keys=True, indent=1,
                                                    ensure_ascii=False) + "\n" == text
    assert json.loads(first["edition.json"]) == {"number": 2, "date": "2026-12-06"}
    numbers = json.loads(first["numbers.json"])
    assert set(numbers) == set(NEW_NUMBERS)
    assert set(numbers["a.moves"]) == {"key", "unit", "status", "rests_on", "value", "count", "base", "p",
                                       "figure", "source", "display_da", "display_en"}
    assert (numbers["a.moves"]["display_da"], numbers["a.moves"]["display_en"]) == ("46\u00a0%", "46%")
    assert numbers["g.pfloor"]["display_da"] == "p < 0,001"
    figures = json.loads(first["figures.json"])
    assert figures["fig-03"] == {"number": 3, "table": [
        {"item": "q3", "group": 1.0, "category": "yes", "count": 5, "base": 10, "percent": 50.0,
         "status": "differs"}]}


def test_release_refuses_a_changed_overwrite_without_force(root):
    root.mkdir()
    _build(root, OLD_NUMBERS, OLD_FIGURES)
    project = _configure(root, 1)
    folder = editions.release(project)
    before = _tree(folder)
    _build(root, NEW_NUMBERS, NEW_FIGURES)
    with pytest.raises(EditionError, match="already released"):
        editions.release(project)
    assert _tree(folder) == before                       # nothing written
    editions.release(project, force=True)
    assert _tree(folder) != before
    assert json.loads((folder / "numbers.json").read_text())["a.moves"]["value"] == 45.6
    # a later edition leaves the earlier one where it is
    editions.release(_configure(root, 2))
    assert sorted(p.name for p in (root / "editions").iterdir()) == ["1", "2"]


# ---------------------------------------------------------------- displayed values

@pytest.mark.parametrize("number, da, en", [
    (_n("k", "pct", 2.5), "3\u00a0%", "3%"),                        # half up, not half even
    (_n("k", "range", 44.5), "45\u00a0%", "45%"),
    (_n("k", "rate", 22.65), "22,7\u00a0%", "22.7%"),
    (_n("k", "nonresponse", 9.95), "10,0\u00a0%", "10.0%"),
    (_n("k", "count", 1234), "1.234", "1,234"),
    (_n("k", "frame", 12.5), "12,5", "12.5"),
    (_n("k", "external", 80), "80", "80"),
    (_n("k", "diff_gt", -12.5), "13\u00a0%", "13%"),
    (_n("k", "signif", 0.0234, p=0.0234), "p = 0,023", "p = 0.023"),
    (_n("k", "gof_ns", 0.5, p=None), "p = 0,500", "p = 0.500"),
    (_n("k", "count", 3, suppressed=True), "< 5", "< 5"),
    (_n("k", "pct", 3.0, suppressed=True, suppress_below=10), "< 10", "< 10"),
    (_n("k", "pct", None), "—", "—"),
])
def test_display(number, da, en):
    assert (editions.display(number, "da"), editions.display(number, "en")) == (da, en)


def test_display_rejects_an_unknown_unit():
    with pytest.raises(EditionError, match="unknown unit"):
        editions.display(_n("k", "furlongs", 1.0), "en")


# ---------------------------------------------------------------- the page section

def test_changes_markdown_in_both_languages(released_then_changed):
    changes = editions.diff(released_then_changed)
    da, en = editions.changes_markdown(changes, "da"), editions.changes_markdown(changes, "en")
    k, f = len(_expected_keys()), len(_expected_figures())
    assert f"Siden udgave 1 er {k} tal og {f} figurer ændret." in da
    assert f"Since edition 1, {k} numbers and {f} figures have changed." in en
    for text in (da, en):
        assert not any(key in text for key in NEW_NUMBERS | OLD_NUMBERS)   # keys are not for readers
        assert "001_x.txt:409" in text
    assert "Figur 1" in da and "Figure 1" in en
    assert "| 45\u00a0% | 46\u00a0% |" in da and "| 45% | 46% |" in en
    assert "Genskabt → Afviger" in da and "Reproduced → Differs" in en
    assert "Antaget" in da and "Assumed" in en
    assert "(ny)" in da and "(fjernet)" in da and "(new)" in en and "(removed)" in en
    assert "45\u00a0% | 45\u00a0%" not in da                                    # b.still is not listed
    assert "51,7\u00a0% (31 ud af 60)" in da and "51.7% (31 out of 60)" in en  # the figure row


def test_changes_markdown_counts_go_through_the_locale():
    change = editions.NumberChange("k", "", None, "", {"da": "1", "en": "1"}, {"da": "2", "en": "2"},
                                   "printed", "printed")
    changes = editions.Changes([change] * 1234, [], since=1, edition=2)
    assert "1.234 tal" in editions.changes_markdown(changes, "da")
    assert "1,234 numbers" in editions.changes_markdown(changes, "en")
    one = editions.Changes([change], [], since=1, edition=2)
    assert "1 number and 0 figures" in editions.changes_markdown(one, "en")


# ---------------------------------------------------------------- command line

def test_main_diff_prints_one_line_per_changed_number(released_then_changed, monkeypatch, capsys):
    monkeypatch.delenv("ARENA_ROOT", raising=False)
    monkeypatch.chdir(released_then_changed.root)
    assert editions.main_diff(argparse.Namespace(since=None)) == 0
    out = capsys.readouterr().out.splitlines()
    listed = {line.split(" ", 1)[0] for line in out if " → " in line and "[" in line}
    assert listed == _expected_keys()
    assert "a.moves (001_x.txt:409/fig-01 = figure 1): 45% → 46% [printed]" in out
    assert "c.status (001_x.txt:20): 30% → 30% [printed → differs]" in out


def test_main_without_artifacts_fails_in_one_line(root, monkeypatch, capsys):
    root.mkdir()
    _configure(root, 1)
    monkeypatch.delenv("ARENA_ROOT", raising=False)
    monkeypatch.chdir(root)
    for main in (editions.main_diff, editions.main_release):
        assert main(argparse.Namespace()) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1 and "run arena build first" in lines[0] and "Traceback" not in captured.err


def test_main_release_refuses_then_forces(root, monkeypatch, capsys):
    root.mkdir()
    _build(root, OLD_NUMBERS, OLD_FIGURES)
    _configure(root, 1)
    monkeypatch.delenv("ARENA_ROOT", raising=False)
    monkeypatch.chdir(root)
    assert editions.main_release(argparse.Namespace(force=False)) == 0
    _build(root, NEW_NUMBERS, NEW_FIGURES)
    capsys.readouterr()
    assert editions.main_release(argparse.Namespace(force=False)) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "already released" in err[0] and "--force" in err[0]
    assert editions.main_release(argparse.Namespace(force=True)) == 0
