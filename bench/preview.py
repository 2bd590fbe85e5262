"""Build a private copy of the project (one language, HTML only) to look at chapters while
others work in the same tree:  python bench/preview.py /tmp/preview-me da"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "_site", "._site*", "__pycache__", ".pytest_cache",
                                "*.egg-info", "tests", "build")


def main() -> int:
    dest, lang = Path(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "da")
    if dest.exists():
        site = dest / "_site"
        for item in dest.iterdir():
            if item.name not in ("_site", ".arena-cache"):
                shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
        for item in REPO.iterdir():
            if item.name in (".venv", ".git", "_site", ".arena-cache", "tests", "build") or item.name.startswith("._site"):
                continue
            (shutil.copytree(item, dest / item.name, ignore=IGNORE) if item.is_dir() else shutil.copy2(item, dest / item.name))
        del site
    else:
        shutil.copytree(REPO, dest, ignore=IGNORE)
    env = dict(os.environ, ARENA_ROOT=str(dest), PYTHONPATH=str(dest))
    cmd = [sys.executable, "-m", "arena.cli", "build", "--lang", lang, "--format", "html"]
    return subprocess.run(cmd, cwd=dest, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
