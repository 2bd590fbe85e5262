"""Stopping a build cleanly: Ctrl-C and SIGTERM, the processes a build starts, test pauses.

The signal handler (main thread only, as Python runs them) sets `CANCEL`, kills every child
process registered here (the kernels with their process groups, Pandoc, Pagefind, Quarto) and
raises `Interrupted` in the main thread. The worker threads notice at their next `check()` (a
child that died also ends their wait), and `arena build` removes its temporary output and exits
128 + the signal's number.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

CANCEL = threading.Event()
SIGNALS = (signal.SIGINT, signal.SIGTERM)
_signum = 0
_children: dict[int, bool] = {}     # pid -> it leads its own process group (a kernel)


class Interrupted(BaseException):
    """Raised where a build is stopped (a BaseException: no `except Exception` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name if signum else "cancelled")
        self.signum = signum


def signum() -> int:
    return _signum


def check() -> None:
    """Raise `Interrupted` if the build is being stopped (worker threads call this)."""
    if CANCEL.is_set():
        raise Interrupted(_signum)


def _kill(pid: int, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except OSError:     # already gone
        pass


def cancel(num: int) -> None:
    global _signum
    _signum = _signum or num
    CANCEL.set()
    for pid, group in list(_children.items()):
        _kill(pid, group)


def add_child(pid: int, group: bool = False) -> None:
    _children[pid] = group
    if CANCEL.is_set():     # started while the build was being stopped
        _kill(pid, group)
        raise Interrupted(_signum)


def remove_child(pid: int) -> None:
    _children.pop(pid, None)


def run(cmd: list[str], capture_output: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """`subprocess.run`, with the process killed when the build is stopped."""
    if capture_output:
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with subprocess.Popen(cmd, **kwargs) as proc:
        add_child(proc.pid)
        try:
            out, err = proc.communicate()
        finally:
            remove_child(proc.pid)
    check()     # killed by us: not a failure of the tool
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def install() -> dict:
    """Handle SIGINT and SIGTERM (main thread only); returns the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(num: int, _frame) -> None:
        first = not CANCEL.is_set()
        cancel(num)
        if first:   # a second signal during the clean-up does not interrupt the clean-up
            raise Interrupted(num)

    return {s: signal.signal(s, handler) for s in SIGNALS}


def restore(previous: dict) -> None:
    for s, h in previous.items():
        signal.signal(s, h)


def pause(point: str) -> None:
    """A test hook: with ARENA_TEST_PAUSE=<point>:<file>, wait at that point until <file>
    exists, touching <file>.paused meanwhile (tests act at a named moment without depending on
    timing). Points: each step's name (after it ran), "execute" (a kernel running), "pdf"
    (before Typst compiles) and "swap" (the new site complete, before it is published)."""
    spec = os.environ.get("ARENA_TEST_PAUSE", "")
    name, _, flag = spec.partition(":")
    if name != point or not flag:
        return
    Path(flag + ".paused").touch()
    deadline = time.monotonic() + 120
    while not Path(flag).exists() and time.monotonic() < deadline:
        CANCEL.wait(0.05)
        check()
