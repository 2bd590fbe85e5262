"""Run the chapters of one language in ONE Jupyter kernel (jupyter_client, driven directly).

The kernel starts with cwd = project root and `ARENA_LANG` / `QUARTO_PROFILE` set, so chapter
code can `import analysis` and knows its language. Between chapters the user namespace is reset
(every name the previous chapter defined is deleted), so a chapter sees the same state whether or
not its neighbours came from the cache; imported modules stay loaded, which is what makes one kernel per language cheap.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from queue import Empty
from typing import Any

from arena import interrupt
from arena.render.qmd import Cell, Document, Markdown

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INLINE_FUNC = "__arena_inline__"
INLINE_MIME = "application/vnd.arena.inline+json"
# Defined in the kernel at the start of each chapter (after RESET). Evaluates inline
# expressions in order; each result is formatted as IPython's displayhook would (text/markdown
# if the value has it, as Quarto takes it, else text/plain; nothing for None). The results so far are published even when one raises, so the caller
# knows which expression failed; the exception then propagates as a normal error output.
INLINE_HELPER = f"""
def {INLINE_FUNC}(exprs):
    from IPython import get_ipython
    from IPython.display import publish_display_data
    shell = get_ipython()
    texts = []
    try:
        for expr in exprs:
            value = eval(compile(expr, "<inline expression>", "eval"), shell.user_ns)
            shown = {{}} if value is None else shell.display_formatter.format(value)[0]
            texts.append(shown["text/markdown"] if "text/markdown" in shown else shown.get("text/plain", ""))
    finally:
        publish_display_data({{{INLINE_MIME!r}: {{"texts": texts}}}})
"""
# Between chapters: forget every name the previous chapter defined (imported modules stay
# loaded). Like `%reset -f`, minus its gc.collect() (~130 ms with pandas and Altair loaded).
RESET = """
def __arena_reset__():
    from IPython import get_ipython
    shell = get_ipython()
    keep = shell.user_ns_hidden
    for name in [n for n in shell.user_ns if n not in keep and not (n.startswith("__") and n.endswith("__"))]:
        del shell.user_ns[name]
__arena_reset__()
del __arena_reset__
"""
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
    """One kernel for one language; use as a context manager.

    Driven with jupyter_client's blocking client, not nbclient: nbclient builds and
    schema-validates (jsonschema) an nbformat node for every cell and output and runs an event
    loop per cell, ~0.5 s of build CPU for outputs we turn into plain dicts anyway. The outputs
    are the ones nbclient produced (streams, displays and their updates, clear_output, errors).
    """

    def __init__(self, root: Path, lang: str, profile: str, timeout: int = 600) -> None:
        from jupyter_client.manager import KernelManager

        self.root, self.lang, self.profile = root, lang, profile
        self.timeout = timeout
        # IPC transport: local sockets, no TCP ports (and no "running over TCP" warning)
        # (sockets live in a short temporary directory: a Unix socket path has ~100 characters)
        # (named by our pid: a later build removes it if this process was killed, arena/publish.py)
        self._conn_dir = tempfile.mkdtemp(prefix=f"arena-k-{os.getpid()}-")
        self.km = KernelManager(kernel_name="python3", transport="ipc",
                                connection_file=os.path.join(self._conn_dir, f"{lang}.json"))
        self.kc = None
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
        km = self.km
        Path(km.connection_file).parent.mkdir(parents=True, exist_ok=True)
        km.start_kernel(env=env, cwd=str(self.root))
        self._stack.callback(self._shutdown)
        # The kernel leads its own process group (jupyter_client): a stopped build kills it all.
        self._pid = km.provisioner.pid
        interrupt.add_child(self._pid, group=True)
        kc = km.client()
        kc.start_channels()
        self.kc = kc
        kc.wait_for_ready(timeout=120)
        return self

    def _shutdown(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        finally:
            if getattr(self, "_pid", None):
                interrupt.remove_child(self._pid)
            self.km.shutdown_kernel(now=True)
            self.km.cleanup_resources()
            shutil.rmtree(self._conn_dir, ignore_errors=True)

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def _run(self, source: str) -> list[dict]:
        """Execute one cell; its outputs as nbformat would store them (errors do not raise)."""
        if not source.strip():      # nothing to run (nbclient skipped such cells too)
            return []
        kc = self.kc
        msg_id = kc.execute(source, store_history=True, stop_on_error=False)
        deadline = time.monotonic() + self.timeout
        outputs: list[dict] = []
        shown: dict[str, list[int]] = {}    # display_id -> its outputs (update_display_data)
        clear_pending = False
        while True:
            try:
                # Blocks in zmq poll (no busy wait); wakes five times a second to check the kernel
                # and whether the build is being stopped
                # (nbclient waited here with no timeout: a kernel that died hung the build).
                msg = kc.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                interrupt.check()
                if not self.km.is_alive():
                    raise RuntimeError(f"the {self.lang} kernel died") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"a cell ran longer than {self.timeout} s") from None
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status":
                if content["execution_state"] == "idle":   # every output has arrived
                    break
                continue
            if kind == "clear_output":
                if content.get("wait"):
                    clear_pending = True
                else:
                    outputs.clear()
                    shown.clear()
                continue
            display_id = (content.get("transient") or {}).get("display_id")
            if display_id and kind in ("display_data", "execute_result", "update_display_data"):
                for i in shown.get(display_id, []):     # as nbclient: update earlier displays
                    outputs[i]["data"], outputs[i]["metadata"] = content["data"], content["metadata"]
            if kind == "stream":
                out = {"output_type": kind, "name": content["name"], "text": content["text"]}
            elif kind in ("display_data", "execute_result"):
                out = {"output_type": kind, "data": content["data"], "metadata": content["metadata"]}
            elif kind == "error":
                out = {"output_type": kind, "ename": content["ename"], "evalue": content["evalue"],
                       "traceback": content["traceback"]}
            else:                       # execute_input, update_display_data, comm messages
                continue
            if clear_pending:
                outputs.clear()
                shown.clear()
                clear_pending = False
            if display_id:
                shown.setdefault(display_id, []).append(len(outputs))
            outputs.append(out)
        self._reply(msg_id, deadline)
        return outputs

    def _reply(self, msg_id: str, deadline: float) -> None:
        """Take the execute_reply off the shell channel (errors came as outputs already)."""
        while True:
            try:
                if self.kc.shell_channel.get_msg(timeout=0.2)["parent_header"].get("msg_id") == msg_id:
                    return
            except Empty:
                interrupt.check()
                if not self.km.is_alive():
                    raise RuntimeError(f"the {self.lang} kernel died") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no reply from the {self.lang} kernel") from None

    def run_chapter(self, doc: Document) -> dict:
        """Execute every cell and inline expression of a chapter, in document order.

        The inline expressions between two cells are evaluated in ONE kernel request (a chapter
        has dozens; each request costs ~12 ms of kernel and client CPU), in order, in the user
        namespace, and shown as IPython shows a result (`text/plain`), like Quarto.
        """
        self._run(f"{RESET}\nimport os as _os\n_os.chdir({str(self.root)!r})\ndel _os\n{INLINE_HELPER}")
        result: dict[str, Any] = {"cells": {}, "inline": []}
        pending: list[tuple[Markdown, str]] = []

        def flush() -> None:
            if pending:
                result["inline"].extend(self._run_inline(pending, doc.path))
                pending.clear()

        for piece in doc.pieces:
            if isinstance(piece, Markdown):
                pending.extend((piece, expr) for expr in piece.inline)
            elif isinstance(piece, Cell):
                flush()
                outputs = self._run(piece.source)
                self._raise(outputs, doc.path, piece, 0)
                result["cells"][str(piece.number)] = [_clean(o) for o in outputs]
        flush()
        return result

    def _run_inline(self, pending: list[tuple[Markdown, str]], path: str) -> list[str]:
        outputs = self._run(f"{INLINE_FUNC}({[expr for _, expr in pending]!r})")
        texts: list[str] = []
        for o in outputs:
            if o.get("output_type") == "display_data" and INLINE_MIME in o.get("data", {}):
                texts = list(o["data"][INLINE_MIME]["texts"])
        if any(o.get("output_type") == "error" for o in outputs):
            piece, expr = pending[len(texts)]     # the first expression without a result failed
            self._raise(outputs, path, None, _inline_line(piece, expr))
        if len(texts) != len(pending):
            raise ExecError(path, None, pending[0][0].line, "RuntimeError",
                            f"{len(texts)} results for {len(pending)} inline expressions", "")
        return [_plain(t) for t in texts]

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
            return piece.line_numbers[i] if i < len(piece.line_numbers) else piece.line + i
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
