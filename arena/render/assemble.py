"""Parsed chapter + kernel outputs -> Pandoc markdown, for HTML or for Typst.

The MIME choice mirrors Quarto 1.10's (`displayDataMimeType` in src/core/jupyter/display-data.ts):
HTML takes text/html, then text/markdown, then an image; Typst takes text/markdown, then an image
(SVG is written to a file and referenced), never HTML. The project's own outputs carry only
text/markdown (raw HTML and raw Typst blocks), so both engines take the same thing.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Callable

from analysis.escape import html_attr, typst_string
from arena.render.qmd import INLINE, Cell, Document, Markdown

FLOAT_KINDS = ("fig", "tbl")


def _float_attr(kinds: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\{#((?:" + "|".join(map(re.escape, kinds)) + r")-[\w-]+)[^}]*\}")


FIG_ATTR = _float_attr(FLOAT_KINDS)
SVG_WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)(?:px)?"')
SVG_HEIGHT = re.compile(r'<svg[^>]*\sheight="([\d.]+)(?:px)?"')
MAX_WIDTH_PT = 440.0


def _fence(text: str, char: str = "`") -> str:
    longest = max((len(m) for m in re.findall(re.escape(char) + "{3,}", text)), default=2)
    return char * max(3, longest + 1)


def raw_block(fmt: str, text: str) -> str:
    f = _fence(text)
    return f"{f}{{={fmt}}}\n{text}\n{f}"


def code_block(text: str, classes: str) -> str:
    f = _fence(text)
    return f"{f} {{{classes}}}\n{text.rstrip()}\n{f}"


def float_ids(doc: Document, kinds: tuple[str, ...] = FLOAT_KINDS) -> list[tuple[str, str]]:
    """(kind, id) of every numbered float in document order: cell labels and {#fig-…} attributes
    (custom kinds such as {#inf-…} in div syntax, as Quarto writes them)."""
    attr = _float_attr(kinds)
    out: list[tuple[str, str]] = []
    for piece in doc.pieces:
        if isinstance(piece, Cell):
            label = str(piece.options.get("label", ""))
            if label.startswith(("fig-", "tbl-")) and (piece.options.get("fig-cap") or piece.options.get("tbl-cap")):
                out.append((label.split("-", 1)[0], label))
        else:
            for m in attr.finditer(_strip_code(piece.text)):
                out.append((m.group(1).split("-", 1)[0], m.group(1)))
    return out


def _strip_code(text: str) -> str:
    return re.sub(r"(`{3,}|~{3,}).*?\1", "", text, flags=re.S)


def _svg_typst(svg: str, path: str, alt: str) -> str:
    m = SVG_WIDTH.search(svg)
    width = ""
    if m:
        pt = float(m.group(1)) * 0.75
        width = ", width: 100%" if pt > MAX_WIDTH_PT else f", width: {pt:.1f}pt"
    return raw_block("typst", f"#align(center, image({typst_string(path)}{width}, alt: {typst_string(alt)}))")


def _output_blocks(out: dict, fmt: str, asis: bool, warning: bool,
                   write_file: Callable[[str, bytes], str]) -> list[str]:
    kind = out["output_type"]
    if kind == "stream":
        if out.get("name") == "stderr" and not warning:
            return []
        text = out.get("text", "")
        if not text.strip():
            return []
        if asis:
            return [text]
        return [code_block(text, f".cell-output .cell-output-{out.get('name', 'stdout')}")]
    data = out.get("data", {})
    alt = data.get("text/plain", "")
    if asis and "text/plain" in data and "text/markdown" not in data:
        return [_plain_asis(alt)]
    if fmt == "html":
        if "text/html" in data:
            return [raw_block("html", data["text/html"])]
        if "text/markdown" in data:
            return [data["text/markdown"]]
        if "image/svg+xml" in data:
            return [raw_block("html", f'<div class="cell-output-display">{data["image/svg+xml"]}</div>')]
        if "image/png" in data:
            return [raw_block("html", f'<img src="data:image/png;base64,{data["image/png"]}" alt="{html_attr(alt)}">')]
    else:
        if "text/markdown" in data:
            return [data["text/markdown"]]
        if "image/svg+xml" in data:
            svg = data["image/svg+xml"]
            path = write_file("svg", svg.encode("utf-8"))
            return [_svg_typst(svg, path, alt)]
        if "image/png" in data:
            path = write_file("png", base64.b64decode(data["image/png"]))
            return [raw_block("typst", f"#align(center, image({typst_string(path)}, alt: {typst_string(alt)}))")]
        if "text/html" in data and "text/plain" not in data:
            return []
    if "text/plain" in data and kind == "execute_result":
        return [code_block(data["text/plain"], ".cell-output .cell-output-display")]
    return []


def _plain_asis(text: str) -> str:
    import ast

    try:
        value = ast.literal_eval(text)
        return value if isinstance(value, str) else text
    except (ValueError, SyntaxError):
        return text


def _piece_blocks(doc: Document, result: dict, fmt: str, defaults: dict,
                  write_file: Callable[[str, bytes], str]) -> list[str]:
    """One markdown block per piece of the chapter ("" where a piece shows nothing)."""
    inline = iter(result.get("inline", []))
    blocks: list[str] = []
    for piece in doc.pieces:
        if isinstance(piece, Markdown):
            blocks.append(INLINE.sub(lambda m: next(inline, ""), piece.text))
            continue
        opts = {**defaults, **piece.options}
        if opts.get("include") is False:
            blocks.append("")
            continue
        parts: list[str] = []
        if opts.get("echo") is True:
            parts.append(code_block(piece.code_without_options, ".python .cell-code"))
        if opts.get("output", True) is not False:
            asis = opts.get("output") == "asis"
            for out in result["cells"].get(str(piece.number), []):
                parts += _output_blocks(out, fmt, asis, opts.get("warning", True) is not False, write_file)
        label = str(opts.get("label", ""))
        cap = opts.get("fig-cap") if label.startswith("fig-") else opts.get("tbl-cap") if label.startswith("tbl-") else None
        if cap:
            body = "\n\n".join(parts) if parts else ""
            blocks.append(f"::: {{#{label}}}\n\n{body}\n\n{cap}\n\n:::")
        else:
            blocks.append("\n\n".join(parts))
    return blocks


def _file_writer(figdir: Path | None, figprefix: str) -> Callable[[str, bytes], str]:
    def write_file(ext: str, payload: bytes) -> str:
        assert figdir is not None
        name = hashlib.sha256(payload).hexdigest()[:16] + "." + ext
        figdir.mkdir(parents=True, exist_ok=True)
        target = figdir / name
        if not target.exists():
            target.write_bytes(payload)
        return figprefix + name
    return write_file


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip()) + "\n"


def chapter_markdown(doc: Document, result: dict, fmt: str, defaults: dict,
                     figdir: Path | None = None, figprefix: str = "") -> str:
    """Pandoc markdown of one chapter body (title excluded). fmt: 'html' or 'typst'."""
    return _join(_piece_blocks(doc, result, fmt, defaults, _file_writer(figdir, figprefix)))


def _only(fmt: str, text: str) -> str:
    """A block shown in one format only (arena.lua keeps or drops it, like Quarto)."""
    if not text.strip():
        return ""
    return f'::::::: {{.content-visible when-format="{fmt}"}}\n\n{text.strip(chr(10))}\n\n:::::::'


def chapter_markdown_both(doc: Document, result: dict, defaults: dict, typst_title: str,
                          figdir: Path | None = None, figprefix: str = "") -> str:
    """ONE markdown for the HTML page and the Typst chapter: what differs (cell outputs, the
    Typst chapter heading) sits in `when-format` blocks, so Pandoc reads the chapter once."""
    write_file = _file_writer(figdir, figprefix)
    html = _piece_blocks(doc, result, "html", defaults, write_file)
    typst = _piece_blocks(doc, result, "typst", defaults, write_file)
    blocks = [_only("typst", typst_title)]
    for h, t in zip(html, typst):
        blocks += [h] if h == t else [_only("html", h), _only("typst", t)]
    return _join(blocks)
