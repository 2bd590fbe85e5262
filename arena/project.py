"""The project: where its files are and how it is configured, from one place.

`Project.find()` walks from the current directory up to the first folder holding `_quarto.yml`
(as `quarto` and `git` find theirs); `ARENA_ROOT` overrides it. The project's own settings sit
under the `arena:` key of `_quarto.yml` (Quarto passes unknown keys through as metadata):

    arena:
      data-mode: reconstruction   # or `survey`: which respondent data the report shows
      suppress-below: 5           # survey mode: cells with fewer respondents show "< 5"
      edition: {number: 1, date: "2026-12-06"}
      repository: ""              # a public URL of the repository, for links to code

Everything that locates a file of the project goes through this object.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "_quarto.yml"
DATA_MODES = ("reconstruction", "survey")


class ProjectError(Exception):
    """Bad project configuration: the message names the file, the key and what to do."""


@dataclass(frozen=True)
class Edition:
    number: int
    date: str          # ISO date, YYYY-MM-DD

    @property
    def label(self) -> str:
        return f"{self.number}"


@dataclass(frozen=True)
class Project:
    root: Path
    settings: dict = field(default_factory=dict, compare=False)
    _book: dict = field(default_factory=dict, compare=False, repr=False)

    # -- finding and loading -----------------------------------------------------------------
    @classmethod
    def find(cls, start: Path | str | None = None) -> "Project":
        env = os.environ.get("ARENA_ROOT")
        if env and start is None:
            root = Path(env).resolve()
            if not (root / CONFIG_FILE).is_file():
                raise ProjectError(f"ARENA_ROOT={env}: no {CONFIG_FILE} there")
            return cls.load(root)
        here = Path(start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls.load(folder)
        raise ProjectError(f"no {CONFIG_FILE} in {here} or any folder above it: "
                           "run arena inside a project (or set ARENA_ROOT)")

    @classmethod
    def load(cls, root: Path) -> "Project":
        path = root / CONFIG_FILE
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # the no-op build reads it too
            config = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        except (OSError, UnicodeDecodeError) as exc:
            # Messages name the file relative to the project (it sits at the root), never absolute.
            reason = exc.strerror if isinstance(exc, OSError) else exc
            raise ProjectError(f"{CONFIG_FILE}: cannot be read ({reason}); rule: the project's settings are a UTF-8 "
                               "YAML file") from None
        except yaml.YAMLError as exc:   # (analysis.inputs is not importable yet: same wording)
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise ProjectError(f"{CONFIG_FILE}{where}: YAML syntax error ({getattr(exc, 'problem', None) or exc}); "
                               "rule: the file must be valid YAML — fix the line") from None
        if not isinstance(config, dict):
            raise ProjectError(f"{CONFIG_FILE}: expected a mapping at the top level")
        settings = config.get("arena") or {}
        if not isinstance(settings, dict):
            raise ProjectError(f"{CONFIG_FILE}, key arena: expected a mapping of settings")
        book = config.get("book") or {}
        project = cls(Path(root).resolve(), settings, book if isinstance(book, dict) else {})
        project.data_mode, project.edition, project.suppress_below  # noqa: B018  (check early)
        return project

    # -- settings ----------------------------------------------------------------------------
    def _setting(self, key: str, default: Any) -> Any:
        return self.settings.get(key, default)

    @property
    def data_mode(self) -> str:
        mode = self._setting("data-mode", "reconstruction")
        if mode not in DATA_MODES:
            raise ProjectError(f"{CONFIG_FILE}, key arena.data-mode: {mode!r} is not one of "
                               f"{', '.join(DATA_MODES)}")
        return mode

    @property
    def suppress_below(self) -> int:
        value = self._setting("suppress-below", 5)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProjectError(f"{CONFIG_FILE}, key arena.suppress-below: {value!r} is not a "
                               "whole number of respondents (0 turns suppression off)")
        return value

    @property
    def edition(self) -> Edition:
        """This edition: its number (arena.edition.number) and release date (book.date)."""
        raw = self._setting("edition", {}) or {}
        if not isinstance(raw, dict):
            raise ProjectError(f"{CONFIG_FILE}, key arena.edition: expected a mapping with a number")
        number, date = raw.get("number", 1), str(self.book.get("date") or "")
        if not isinstance(number, int) or number < 1:
            raise ProjectError(f"{CONFIG_FILE}, key arena.edition.number: {number!r} is not a "
                               "positive whole number")
        try:
            if date:   # a project without a date yet (a test, a draft) has an undated edition
                _dt.date.fromisoformat(date)
        except ValueError:
            raise ProjectError(f"{CONFIG_FILE}, key book.date: {date!r} is not a date "
                               "(YYYY-MM-DD); it is this edition's release date") from None
        return Edition(number, date)

    @property
    def book(self) -> dict:
        return dict(self._book)

    @property
    def repository(self) -> str:
        return str(self._setting("repository", "") or "")

    # -- paths -------------------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def codebook(self) -> Path:
        return self.data / "codebook" / "codebook.yaml"

    @property
    def published(self) -> Path:
        return self.data / "published" / "published.csv"

    @property
    def inconsistencies(self) -> Path:
        return self.data / "published" / "inconsistencies.yaml"

    @property
    def raw(self) -> Path:
        return self.data / "raw" / "survey.csv"

    @property
    def raw_meta(self) -> Path:
        return self.data / "raw" / "survey.meta.json"

    @property
    def facts(self) -> Path:
        return self.data / "context" / "facts.csv"

    @property
    def figures_spec(self) -> Path:
        return self.root / "analysis" / "figures.yaml"

    @property
    def expectations(self) -> Path:
        return self.root / "expectations"

    @property
    def editions(self) -> Path:
        return self.root / "editions"

    @property
    def site(self) -> Path:
        return self.root / "_site"

    @property
    def cache(self) -> Path:
        return self.root / ".arena-cache"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def artifacts(self) -> Path:
        return self.build_dir / "artifacts"

    @property
    def seeds(self) -> Path:
        return Path(os.environ.get("ARENA_SEEDS", self.root.parent / "shared" / "seeds"))

    def show(self, path: Path | str) -> str:
        """A path as a user reads it: relative to the project when inside it."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def register_raw(self, origin: str, description: str = "") -> dict:
        """Write data/raw/survey.meta.json for the respondent file as it is now: where it comes
        from, its SHA-256, rows and columns. The build checks the file against it."""
        import hashlib
        import json

        if origin not in DATA_MODES:
            raise ProjectError(f"origin {origin!r} is not one of {', '.join(DATA_MODES)}")
        data = self.raw.read_bytes()
        lines = data.decode("utf-8", errors="replace").splitlines()
        meta = {"origin": origin, "description": description, "sha256": hashlib.sha256(data).hexdigest(),
                "rows": max(len(lines) - 1, 0), "columns": len(lines[0].split(",")) if lines else 0}
        self.raw_meta.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return meta

    def on_sys_path(self) -> None:
        """Make the project's own `analysis/` importable (it is not installed as a package)."""
        import sys

        root = str(self.root)
        if root not in sys.path:
            sys.path.insert(0, root)
