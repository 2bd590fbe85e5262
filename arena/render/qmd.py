"""Parse a .qmd file into front matter, markdown segments and executable code cells.

Only standard Quarto syntax is understood: ```` ```{python} ```` cells with `#|` option lines,
inline `` `{python} expr` `` expressions, and `::: {.content-visible when-profile="…"}` /
`.content-hidden` blocks (resolved here, before execution, so hidden cells do not run).
Every piece keeps its line number in the .qmd so that errors can point at it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# The C parser when PyYAML has it (a build parses every chapter's front matter and cell options).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str):
    return yaml.load(text, Loader=_SafeLoader)


CELL_OPEN = re.compile(r"^(?P<fence>`{3,})\s*\{(?P<engine>[A-Za-z0-9_-]+)(?P<rest>[^}]*)\}\s*$")
PLAIN_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
DIV_OPEN = re.compile(r"^(?P<colons>:{3,})\s*\{(?P<attrs>.*)\}\s*$")
DIV_OPEN_BARE = re.compile(r"^(?P<colons>:{3,})\s*[A-Za-z][\w-]*\s*$")
DIV_CLOSE = re.compile(r"^(?P<colons>:{3,})\s*$")
INLINE = re.compile(r"`\{python\}\s+([^`]+?)\s*`")
TITLE = re.compile(r"^#\s+(?P<title>.+?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*$")


class QmdError(ValueError):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Cell:
    number: int                # 1-based among the chapter's code cells
    line: int                  # line of the opening fence in the .qmd (1-based)
    source: str                # code including the `#|` lines (so traceback lines map to the .qmd)
    options: dict[str, Any]

    @property
    def code_without_options(self) -> str:
        return "\n".join(l for l in self.source.split("\n") if not l.startswith("#|")).strip("\n")


@dataclass
class Markdown:
    line: int
    text: str
    inline: list[str] = field(default_factory=list)   # expressions, in order
    line_numbers: list[int] = field(default_factory=list)   # .qmd line of each line of `text`


@dataclass
class Document:
    path: str
    meta: dict[str, Any]
    pieces: list[Cell | Markdown]
    title: str | None = None
    title_attrs: str = ""

    @property
    def cells(self) -> list[Cell]:
        return [p for p in self.pieces if isinstance(p, Cell)]

    def code(self) -> str:
        """Everything the kernel executes, in order: cells (with their `#|` options) and inline
        expressions. The chapter's outputs depend on this and not on the prose around it, so
        a prose edit reuses the cached outputs (the execution cache is keyed on this)."""
        parts = []
        for piece in self.pieces:
            if isinstance(piece, Cell):
                parts.append("cell\0" + piece.source)
            else:
                parts.extend("inline\0" + expr for expr in piece.inline)
        return "\0\0".join(parts)

    @property
    def unnumbered(self) -> bool:
        return ".unnumbered" in self.title_attrs or "-" in self.title_attrs.split()


def _profile_filter(lines: list[tuple[int, str]], profile: str, path: str) -> list[tuple[int, str]]:
    """Drop `content-visible`/`content-hidden` blocks that do not apply to this profile."""
    out: list[tuple[int, str]] = []
    stack: list[tuple[int, bool, bool]] = []   # (colons, dropped, is_profile_div)
    fence: str | None = None
    for no, line in lines:
        dropped = any(s[1] for s in stack)
        if fence:
            if line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                fence = None
            if not dropped:
                out.append((no, line))
            continue
        m = PLAIN_FENCE.match(line)
        if m:
            fence = m.group("fence")
            if not dropped:
                out.append((no, line))
            continue
        m = DIV_OPEN.match(line)
        if m:
            attrs = m.group("attrs")
            prof = re.search(r'when-profile\s*=\s*"([^"]*)"', attrs)
            if prof and ("content-visible" in attrs or "content-hidden" in attrs):
                match = profile in [p.strip() for p in prof.group(1).split(",")]
                hide = (not match) if "content-visible" in attrs else match
                rest = re.sub(r'when-profile\s*=\s*"[^"]*"', "", attrs)
                rest = rest.replace(".content-visible", "").replace(".content-hidden", "").strip()
                stack.append((len(m.group("colons")), hide, True))
                if rest and not dropped and not hide:   # keep other conditions (when-format…)
                    out.append((no, f"{m.group('colons')} {{.content-visible {rest}}}"))
                    stack[-1] = (stack[-1][0], hide, False)
                continue
            stack.append((len(m.group("colons")), False, False))
            if not dropped:
                out.append((no, line))
            continue
        if DIV_OPEN_BARE.match(line):
            stack.append((len(line.split()[0]), False, False))
            if not dropped:
                out.append((no, line))
            continue
        m = DIV_CLOSE.match(line)
        if m and stack:
            _, _, is_prof = stack.pop()
            if not is_prof and not dropped:
                out.append((no, line))
            continue
        if not dropped:
            out.append((no, line))
    if stack:
        raise QmdError(path, lines[-1][0] if lines else 1, "unclosed ::: block")
    return out


def parse(text: str, path: str, profile: str) -> Document:
    raw = text.split("\n")
    meta: dict[str, Any] = {}
    start = 0
    if raw and raw[0].strip() == "---":
        for i in range(1, len(raw)):
            if raw[i].strip() in ("---", "..."):
                try:
                    meta = _load_yaml("\n".join(raw[1:i])) or {}
                except yaml.YAMLError as exc:
                    raise QmdError(path, 1, f"bad YAML front matter: {exc}") from None
                start = i + 1
                break
    lines = [(i + 1, raw[i]) for i in range(start, len(raw))]
    lines = _profile_filter(lines, profile, path)

    pieces: list[Cell | Markdown] = []
    md: list[str] = []
    md_nos: list[int] = []   # the .qmd line of each line in md (profile blocks drop lines)
    title, title_attrs = meta.get("title"), ""
    fence: str | None = None
    k = 0
    n_cells = 0

    def flush() -> None:
        nonlocal md, md_nos
        if md:
            body = "\n".join(md)
            pieces.append(Markdown(md_nos[0], body, INLINE.findall(body), md_nos))
        md, md_nos = [], []

    while k < len(lines):
        no, line = lines[k]
        if fence:
            md.append(line)
            md_nos.append(no)
            if line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                fence = None
            k += 1
            continue
        m = CELL_OPEN.match(line)
        if m:
            engine = m.group("engine")
            close = m.group("fence")
            body: list[str] = []
            k += 1
            while k < len(lines) and not (lines[k][1].strip().startswith(close) and set(lines[k][1].strip()) == {"`"}):
                body.append(lines[k][1])
                k += 1
            if k >= len(lines):
                raise QmdError(path, no, "code cell is not closed")
            if engine != "python":
                raise QmdError(path, no, f"only python cells are supported, not {{{engine}}}")
            flush()
            opt_lines = [l[3:] if l.startswith("#| ") else l[2:] for l in body if l.startswith("#|")]
            try:
                options = _load_yaml("\n".join(opt_lines)) or {} if opt_lines else {}
            except yaml.YAMLError as exc:
                raise QmdError(path, no, f"bad #| options: {exc}") from None
            if not isinstance(options, dict):
                raise QmdError(path, no, "#| options must be `key: value` lines")
            n_cells += 1
            pieces.append(Cell(n_cells, no, "\n".join(body), options))
            k += 1
            continue
        pm = PLAIN_FENCE.match(line)
        if pm:
            fence = pm.group("fence")
            md.append(line)
            md_nos.append(no)
            k += 1
            continue
        if title is None:
            tm = TITLE.match(line)
            if tm:
                title, title_attrs = tm.group("title"), tm.group("attrs") or ""
                k += 1
                continue
        md.append(line)
        md_nos.append(no)
        k += 1
    flush()
    return Document(path, meta, pieces, title, title_attrs)
