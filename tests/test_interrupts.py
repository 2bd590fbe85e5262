"""Ctrl-C, SIGTERM and SIGKILL at named moments of a build, the swap of _site, the build lock.

The build is paused at a named point (ARENA_TEST_PAUSE=<point>:<flag>, arena/interrupt.py), so
each signal arrives at a known moment whatever the machine's load.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arena import interrupt, publish
from conftest import copy_project, run_build, tree_hashes

pytestmark = pytest.mark.slow
TMP = Path("/tmp")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("interrupts") / "arena")
    proc = run_build(root, "--engine", "embedded", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return root


def start(root: Path, point: str, flag: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, ARENA_ROOT=str(root), PYTHONPATH=str(root), ARENA_TEST_PAUSE=f"{point}:{flag}")
    return subprocess.Popen([sys.executable, "-m", "arena.cli", "build", "--engine", "embedded", "--quiet", *args],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_paused(proc: subprocess.Popen, flag: Path, timeout: float = 300) -> None:
    paused = Path(f"{flag}.paused")
    deadline = time.monotonic() + timeout
    while not paused.exists():
        assert proc.poll() is None, f"the build ended before the pause: {proc.communicate()}"
        assert time.monotonic() < deadline, "the build never reached the pause"
        time.sleep(0.05)


def force_render(root: Path) -> None:
    """Without its stamps the build renders again (from its caches): it reaches the render points."""
    (root / ".arena-cache" / "stamps.json").unlink(missing_ok=True)


def processes_of(pid: int) -> list[int]:
    """Live (not zombie) processes whose command line names this build's kernel or work folders."""
    marks = (f"arena-k-{pid}-".encode(), f"work-{pid}-".encode())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(m in cmd for m in marks):
            found.append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def leftovers_of(root: Path, pid: int) -> list[Path]:
    return [p for p, owner in publish.leftovers(root, root / ".arena-cache", root / "build" / "artifacts")
            if owner == pid]


def stop(proc: subprocess.Popen, sig: int) -> tuple[float, str]:
    t = time.monotonic()
    proc.send_signal(sig)
    proc.wait(timeout=30)
    took = time.monotonic() - t
    _, err = proc.communicate(timeout=30)
    return took, err


@pytest.mark.parametrize("point, sig, args", [
    ("execute", signal.SIGINT, ("--no-cache",)),    # both kernels started, chapters to run
    ("pdf", signal.SIGTERM, ()),                    # Typst about to compile
    ("swap", signal.SIGINT, ()),                    # the new site complete, not yet published
])
def test_interrupt_stops_cleanly(project: Path, tmp_path: Path, point: str, sig: int, args: tuple) -> None:
    before = tree_hashes(project / "_site")
    force_render(project)
    flag = tmp_path / "flag"
    proc = start(project, point, flag, *args)
    wait_paused(proc, flag)
    kids = children(proc.pid)
    if point == "execute":
        assert kids, "no kernel running at the pause"
    took, err = stop(proc, sig)
    print(f"{point} {signal.Signals(sig).name}: stopped in {took:.2f} s; children at the signal {kids}")
    assert proc.returncode == 128 + sig
    assert took < 2.0
    assert err.strip().splitlines() == [f"arena build: interrupted ({signal.Signals(sig).name}); _site is unchanged"]
    assert tree_hashes(project / "_site") == before
    assert leftovers_of(project, proc.pid) == []
    assert processes_of(proc.pid) == []
    assert not [k for k in kids if Path(f"/proc/{k}").exists()
                and Path(f"/proc/{k}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]


def test_sigkill_leftovers_removed_by_next_build(project: Path, tmp_path: Path) -> None:
    before = tree_hashes(project / "_site")
    flag = tmp_path / "flag"
    proc = start(project, "execute", flag, "--no-cache")
    wait_paused(proc, flag)
    stop(proc, signal.SIGKILL)
    left = leftovers_of(project, proc.pid)
    kinds = {p.name.split(f"-{proc.pid}")[0] for p in left}
    print(f"SIGKILL at execute: left {sorted(p.name for p in left)}")
    assert {"._site.building", "work", "arena-k"} <= kinds
    assert tree_hashes(project / "_site") == before
    # The kernels notice their parent is gone (ipykernel's parent poller) and end.
    deadline = time.monotonic() + 10
    while processes_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_of(proc.pid) == []

    # Leftovers of a process that is gone, of every kind, and some of a live owner (this one).
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    alive = str(os.getpid())
    planted = {}
    for owner in (gone, alive):
        for folder in (project / f"._site.building-{owner}-x1", project / f"._site.old-{owner}",
                       project / ".arena-cache" / f"work-{owner}-x2",
                       project / "build" / "artifacts" / f".numbers.tmp-{owner}",
                       TMP / f"arena-k-{owner}-x3"):
            folder.mkdir()
            (folder / "f").write_text("x")
            planted[folder] = owner
    try:
        done = run_build(project, "--engine", "embedded")
        assert done.returncode == 0, done.stderr
        assert "removed" in done.stderr and "Traceback" not in done.stderr
        assert leftovers_of(project, proc.pid) == []
        for folder, owner in planted.items():
            assert folder.exists() == (owner == alive), folder
        assert tree_hashes(project / "_site") == before
    finally:
        for folder in planted:
            subprocess.run(["rm", "-rf", str(folder)])


def test_kill_at_swap_keeps_a_complete_site(project: Path, tmp_path: Path) -> None:
    before = tree_hashes(project / "_site")
    force_render(project)
    flag = tmp_path / "flag"
    proc = start(project, "swap", flag)
    wait_paused(proc, flag)
    stop(proc, signal.SIGKILL)
    assert tree_hashes(project / "_site") == before
    # killed between building and publishing: the new site is complete beside the old one
    building = [p for p in leftovers_of(project, proc.pid) if p.name.startswith("._site.building-")]
    assert len(building) == 1 and tree_hashes(building[0]) == before


def test_publish_swaps_in_one_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final, new = tmp_path / "_site", tmp_path / "._site.building-1-x"
    final.mkdir()
    (final / "v").write_text("old")
    new.mkdir()
    (new / "v").write_text("new")

    def no_rename(*_a):
        raise AssertionError("published with a rename: _site would be missing for a moment")

    with monkeypatch.context() as m:
        m.setattr(os, "rename", no_rename)
        m.setattr(os, "replace", no_rename)
        publish.publish(new, final)
    assert (final / "v").read_text() == "new"
    assert not new.exists()


@pytest.mark.parametrize("exists", [True, False])
def test_publish_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool) -> None:
    final, new = tmp_path / "_site", tmp_path / "._site.building-1-x"
    if exists:
        final.mkdir()
        (final / "v").write_text("old")
    new.mkdir()
    (new / "v").write_text("new")
    monkeypatch.setattr(publish, "_renameat2", lambda: None)    # as on a system without renameat2
    publish.publish(new, final)
    assert (final / "v").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_second_build_waits_for_the_lock(project: Path, tmp_path: Path) -> None:
    force_render(project)
    flag = tmp_path / "flag"
    first = start(project, "swap", flag)
    try:
        wait_paused(first, flag)
        refused = run_build(project, "--engine", "embedded", "--no-wait", timeout=60)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            "error: another build of this project is running (.arena-cache/build.lock is locked); "
            "--no-wait: not waiting for it"]
        env = dict(os.environ, ARENA_ROOT=str(project), PYTHONPATH=str(project))
        second = subprocess.Popen([sys.executable, "-m", "arena.cli", "build", "--engine", "embedded", "--quiet"],
                                  cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert second.poll() is None, second.communicate()      # still waiting
        flag.touch()
        assert first.wait(timeout=120) == 0
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert err.splitlines()[0] == ("arena build: waiting for another build of this project to finish "
                                       "(.arena-cache/build.lock)")
    finally:
        flag.touch()
        first.wait(timeout=120)


def test_cancel_kills_a_tool_that_is_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker waiting for a tool (Pandoc, Pagefind) cannot look at the flag; the signal handler's
    `cancel` kills the tool, and the worker's call ends with Interrupted at once."""
    import threading

    monkeypatch.setattr(interrupt, "CANCEL", threading.Event())
    monkeypatch.setattr(interrupt, "_children", {})
    ended: list[BaseException] = []

    def worker() -> None:
        try:
            interrupt.run(["sleep", "30"], capture_output=True)
        except BaseException as exc:
            ended.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 10
    while not interrupt._children and time.monotonic() < deadline:
        time.sleep(0.01)
    t = time.monotonic()
    interrupt.cancel(signal.SIGTERM)
    thread.join(timeout=5)
    assert time.monotonic() - t < 1.0
    assert len(ended) == 1 and isinstance(ended[0], interrupt.Interrupted)
