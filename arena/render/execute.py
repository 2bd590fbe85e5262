"""Run the chapters of one language in ONE Jupyter kernel (nbclient).

The kernel starts with cwd = project root and `ARENA_LANG` / `QUARTO_PROFILE` set, so chapter
code can `import analysis` and knows its language. Between chapters the user namespace is reset
(`%reset -f`), so a chapter sees the same state whether or not its neighbours came from the
cache; imported modules stay loaded, which is what makes one kernel per language cheap.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from arena.render.qmd import Cell, Document, Markdown

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")


class ExecError(RuntimeError):
    def __init__(self, path: str, cell: int | None, line: int, ename: str, evalue: str, tb: str) -> None:
        where = f"cell {cell}, line {line}" if cell else f"inline expression, line {line}"
        super().__init__(f"{path} ({where}): {ename}: {evalue}")
        self.path, self.cell, self.line = path, cell, line
        self.ename, self.evalue, self.tb = ename, evalue, tb


def _plain(text: str) -> str:
    """An inline result as text: str reprs lose their quotes, like Quarto."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            import ast

            value = ast.literal_eval(text)
            if isinstance(value, str):
                return value
        except (ValueError, SyntaxError):
            pass
    return text


class Kernel:
    """One kernel for one language; use as a context manager."""

    def __init__(self, root: Path, lang: str, profile: str, timeout: int = 600) -> None:
        import nbformat
        from jupyter_client.manager import KernelManager
        from nbclient import NotebookClient

        self.root, self.lang, self.profile = root, lang, profile
        self._nbformat = nbformat
        # IPC transport: local sockets, no TCP ports (and no "running over TCP" warning)
        # (sockets live in a short temporary directory: a Unix socket path has ~100 characters)
        self._conn_dir = tempfile.mkdtemp(prefix="arena-k-")
        km = KernelManager(kernel_name="python3", transport="ipc",
                           connection_file=os.path.join(self._conn_dir, f"{lang}.json"))
        self.client = NotebookClient(
            nbformat.v4.new_notebook(), km=km, timeout=timeout, kernel_name="python3",
            allow_errors=True, record_timing=False, resources={"metadata": {"path": str(root)}},
        )
        self._stack = ExitStack()

    def __enter__(self) -> "Kernel":
        env = dict(os.environ)
        env.update({
            "ARENA_LANG": self.lang, "QUARTO_PROFILE": self.profile,
            "ARENA_ROOT": str(self.root), "PYTHONHASHSEED": "0",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MPLBACKEND": "agg",
        })
        pp = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = str(self.root) + (os.pathsep + pp if pp else "")
        # Start the kernel ourselves (nbclient's setup_kernel adds ~0.5 s of polling) and hand
        # manager + client to nbclient, which then only executes cells.
        km = self.client.km
        Path(km.connection_file).parent.mkdir(parents=True, exist_ok=True)
        km.start_kernel(env=env, cwd=str(self.root))
        self._stack.callback(self._shutdown)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        self.client.reset_execution_trackers()
        self.client.kc = kc
        return self

    def _shutdown(self) -> None:
        km, kc = self.client.km, self.client.kc
        try:
            if kc is not None:
                kc.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
            km.cleanup_resources()
            shutil.rmtree(self._conn_dir, ignore_errors=True)

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def _run(self, source: str) -> list[dict]:
        cell = self._nbformat.v4.new_code_cell(source)
        self.client.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.client.nb.cells) - 1, store_history=True)
        return [dict(o) for o in cell.outputs]

    def run_chapter(self, doc: Document) -> dict:
        """Execute every cell and inline expression of a chapter, in document order."""
        self.client.nb = self._nbformat.v4.new_notebook()
        self._run(f"%reset -f\nimport os as _os\n_os.chdir({str(self.root)!r})\ndel _os")
        result: dict[str, Any] = {"cells": {}, "inline": []}
        for piece in doc.pieces:
            if isinstance(piece, Markdown):
                for expr in piece.inline:
                    outputs = self._run(expr)
                    self._raise(outputs, doc.path, None, _inline_line(piece, expr))
                    text = ""
                    for o in outputs:
                        if o.get("output_type") == "execute_result":
                            text = _plain(o["data"].get("text/plain", ""))
                    result["inline"].append(text)
            elif isinstance(piece, Cell):
                outputs = self._run(piece.source)
                self._raise(outputs, doc.path, piece, 0)
                result["cells"][str(piece.number)] = [_clean(o) for o in outputs]
        return result

    @staticmethod
    def _raise(outputs: list[dict], path: str, cell: Cell | None, line: int) -> None:
        for o in outputs:
            if o.get("output_type") != "error":
                continue
            tb = ANSI.sub("", "\n".join(o.get("traceback", [])))
            if cell is not None:
                hits = CELL_LINE.findall(tb)
                within = int(hits[-1]) if hits else 1
                if o.get("ename") == "SyntaxError":
                    m = re.search(r"line (\d+)", tb)
                    within = int(m.group(1)) if m else within
                line = cell.line + within
            raise ExecError(path, cell.number if cell else None, line,
                            o.get("ename", "Error"), o.get("evalue", ""), tb)


def _inline_line(piece: Markdown, expr: str) -> int:
    for i, text in enumerate(piece.text.split("\n")):
        if expr in text:
            return piece.line + i
    return piece.line


def _clean(output: dict) -> dict:
    """Keep only what rendering needs (drops execution counts: cache files stay stable)."""
    out = {"output_type": output["output_type"]}
    if output["output_type"] == "stream":
        out["name"] = output.get("name", "stdout")
        out["text"] = output.get("text", "")
    else:
        out["data"] = dict(output.get("data", {}))
        out["metadata"] = dict(output.get("metadata", {}))
    return out
