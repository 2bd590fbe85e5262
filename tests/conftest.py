"""Shared fixtures for the build tests: one built copy of the project per test session."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "_site", "._site*", ".arena-cache", "__pycache__",
                                ".pytest_cache", "*.egg-info", "bench", "tests", "build")


def run_build(root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, ARENA_ROOT=str(root), PYTHONPATH=str(root))
    return subprocess.run([sys.executable, "-m", "arena.cli", "build", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def tree_hashes(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def copy_project(dest: Path, src: Path = REPO, with_outputs: bool = False) -> Path:
    if with_outputs:
        shutil.copytree(src, dest, symlinks=True)
    else:
        shutil.copytree(src, dest, ignore=IGNORE)   # (the Vega bundle lives with the venv)
    return dest


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with both languages built (HTML + PDF) by the embedded renderer.

    ARENA_TEST_BUILT=<project dir> uses a project already built there instead (quicker when
    working on the browser tests; the tests only read its `_site/`)."""
    given = os.environ.get("ARENA_TEST_BUILT")
    if given:
        assert (Path(given) / "_site" / "index.html").exists(), f"ARENA_TEST_BUILT={given}: no _site/ built there"
        return Path(given)
    root = copy_project(tmp_path_factory.mktemp("built") / "arena")
    proc = run_build(root, "--engine", "embedded", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="session", autouse=True)
def repo_artifacts() -> Path:
    """The repository's own artifacts (build/artifacts), made once: the chapter API reads them."""
    from arena import steps
    from arena.project import Project

    steps.run_all(Project.load(REPO))
    return REPO / "build" / "artifacts"


def chapter_report(lang: str):
    """The chapters' Report on the repository's artifacts."""
    from arena.chapter import Report
    from arena.project import Project

    return Report(lang, Project.load(REPO))


# -- the browser tests' shared pieces: a served site and Debian's Chromium ---------------------
CHROMIUM = os.environ.get("ARENA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def serve(site: Path):
    """Serve `site` on an ephemeral loopback port (a generator for a fixture): yields its URL."""
    import threading

    from arena.serve import make_server

    srv = make_server(str(site), 0)
    srv.verbose = False
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def chromium():
    """Debian's Chromium under Playwright (a generator for a fixture): yields the browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=CHROMIUM_ARGS)
        yield b
        b.close()
