"""Content hashes of the build's inputs. Imports only the standard library: the no-op rebuild
path runs through here and must stay well under half a second."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable

SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}


def files_under(root: Path, rel: str, patterns: Iterable[str] = ("*",)) -> list[Path]:
    base = root / rel
    if base.is_file():
        return [base]
    if not base.is_dir():
        return []
    out: set[Path] = set()
    for pat in patterns:
        for p in base.rglob(pat):
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(root).parts) and p.suffix != ".pyc":
                out.add(p)
    return sorted(out)


def hash_files(root: Path, paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def hash_text(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


class Inputs:
    """The groups of inputs that decide what is rebuilt."""

    def __init__(self, root: Path, env: dict | None = None) -> None:
        self.root = root
        self.env = hash_text(json.dumps(env or {}, sort_keys=True))
        self.artifacts = ""          # digest of the artifacts the pages read (arena/steps.py)
        self._memo: dict[str, str] = {}

    def group(self, name: str) -> str:
        if name not in self._memo:
            r = self.root
            files = {
                "analysis": files_under(r, "analysis", ("*.py", "*.yaml")),
                "code": files_under(r, "arena/render") + files_under(r, "arena/build.py")
                + files_under(r, "arena/publication.py"),
                # only these decide what a chapter's cells and inline expressions produce
                "exec_code": [r / "arena/render/qmd.py", r / "arena/render/execute.py", r / "arena/chapter.py"],
                "config": [p for p in r.glob("_quarto*.yml")],
            }[name]
            self._memo[name] = hash_files(r, files)
        return self._memo[name]

    def execution_key(self, lang: str, chapter_code: str, graph) -> str:
        """What a chapter's outputs depend on: the code it runs (`Document.code()`: cells and
        inline expressions, not the prose), the artifacts it reads (the validation artifact
        only where it asks for it), analysis/ (charts are drawn in the kernel), the parser, the
        kernel driver and the chapter API, the project config, the environment, the language.
        (Templates, Pandoc and Typst code only change the pages: editing them executes nothing.)"""
        reads = ("survey", "numbers", "figures", "reconciliation", "changes")
        if "validation()" in chapter_code:
            reads += ("validation",)
        return hash_text("exec-v4", lang, chapter_code, graph.outputs_digest(reads), self.group("analysis"),
                         self.group("exec_code"), self.group("config"), self.env)

    def build_key(self, lang: str, fmt: str) -> str:
        """Everything one language/format output depends on (the no-op check)."""
        chapters = files_under(self.root, f"chapters/{lang}", ("*.qmd",)) + [self.root / "index.qmd"]
        return hash_text("build-v2", lang, fmt, hash_files(self.root, [p for p in chapters if p.exists()]),
                         self.artifacts, self.group("analysis"), self.group("code"), self.group("exec_code"),
                         self.group("config"), self.env)


def load_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
