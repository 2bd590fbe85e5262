"""How a failure reaches the user: one line for a bug, the traceback only when asked for."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def debug_wanted(argv: list[str] | None = None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    return "--debug" in argv or os.environ.get("ARENA_DEBUG", "") not in ("", "0")


def internal_error(exc: BaseException, debug: bool) -> str:
    """The one line a user sees for a bug (the traceback too with --debug or ARENA_DEBUG=1)."""
    import traceback

    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    line = (f"internal error: {exc.__class__.__name__}{at}: {str(exc).splitlines()[0] if str(exc) else ''} "
            "— this is a bug in arena, please report it with the command you ran"
            + ("" if debug else " (rerun with --debug or ARENA_DEBUG=1 for the details)"))
    return ("".join(traceback.format_exception(exc)) + line) if debug else line
