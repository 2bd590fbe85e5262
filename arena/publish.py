"""Publishing a folder built beside its final place, and removing what killed builds left.

`publish(new, final)` swaps the two folders in one system call, Linux's
`renameat2(RENAME_EXCHANGE)` (through ctypes; glibc has it since 2.28), so there is never a
moment without a complete `final`; the old version, now at `new`, is then removed. Fallbacks: a
plain rename when `final` does not exist yet, and two renames (`final` aside, `new` in place)
where renameat2 is missing or the file system refuses it. `_site` and every step artifact in
build/artifacts/ are published this way.

Temporary folders carry the pid of the process that made them (`._site.building-<pid>-…`,
`.arena-cache/work-<pid>-…`, `build/artifacts/.<step>.tmp-<pid>`, `/tmp/arena-k-<pid>-…`), so
`sweep` removes only those whose owner is gone.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import signal
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

AT_FDCWD = -100
RENAME_EXCHANGE = 2
# <prefix>-<pid>-<random> (mkdtemp) or <prefix>-<pid> (fixed names)
_OWNED = re.compile(r"^(?:\._site\.building|\._site\.old|work|arena-k|\.[\w-]+\.tmp|\.[\w-]+\.old)-(\d+)(?:-[\w]+)?$")


@lru_cache(maxsize=1)
def _renameat2():
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):     # glibc < 2.28, another libc
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where renameat2 cannot (then nothing was changed)."""
    func = _renameat2()
    if func is None:
        return False
    if func(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):   # kernel or file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def publish(new: Path, final: Path, done: Callable[[], None] | None = None) -> None:
    """Put the folder `new` in place of `final`; `done` runs once `final` is the new one
    (with SIGINT and SIGTERM held back, so an interrupt is never mistaken about it)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        if not final.exists():
            os.rename(new, final)
        elif not exchange(new, final):
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)     # between these two renames `final` is missing
            os.replace(new, final)
            new = old
        if done:
            done()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    shutil.rmtree(new, ignore_errors=True)      # the old version


def owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # another user's process
        return True
    return True


def leftovers(root: Path, cache: Path, artifacts: Path) -> list[tuple[Path, int]]:
    """Temporary folders of builds, with the pid of their owner."""
    found = []
    for folder, pattern in ((root, "._site.*"), (cache, "work-*"), (artifacts, ".*"),
                            (Path(tempfile.gettempdir()), "arena-k-*")):
        try:
            entries = list(folder.glob(pattern))
        except OSError:
            continue
        for path in entries:
            m = _OWNED.match(path.name)
            if m and path.is_dir():
                found.append((path, int(m.group(1))))
    return found


def sweep(root: Path, cache: Path, artifacts: Path, mine: bool = False) -> list[Path]:
    """Remove the leftovers of processes that are gone (with `mine`, also this process's own)."""
    removed = []
    for path, pid in leftovers(root, cache, artifacts):
        if (mine and pid == os.getpid()) or (pid != os.getpid() and not owner_alive(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
