"""`arena serve`: no directory listings, a clear message for a busy port, usage errors for bad
ports, and loopback only unless --host says otherwise. Ports are ephemeral; addresses loopback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from arena.serve import make_server


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    """A project root whose _site has a page, a directory with an index and one without."""
    site = tmp_path / "_site"
    (site / "with-index").mkdir(parents=True)
    (site / "no-index").mkdir()
    (site / "index.html").write_text("<p>root</p>", encoding="utf-8")
    (site / "with-index" / "index.html").write_text("<p>inner page</p>", encoding="utf-8")
    (site / "no-index" / "secret-name.txt").write_text("data", encoding="utf-8")
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\n", encoding="utf-8")
    return tmp_path


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_directory_without_index_is_404_not_a_listing(site_root: Path) -> None:
    srv = make_server(str(site_root / "_site"), 0)
    srv.verbose = False
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        for path in ("/no-index/", "/no-index"):
            status, body = _get(base + path)
            assert status == 404, path
            assert "secret-name" not in body, path
        assert _get(base + "/")[0] == 200                                 # the site itself is served
        assert _get(base + "/with-index/") == (200, "<p>inner page</p>")
        assert _get(base + "/no-index/secret-name.txt") == (200, "data")  # files still are
    finally:
        srv.shutdown()
        srv.server_close()


def _serve(root: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, ARENA_ROOT=str(root))
    return subprocess.Popen([sys.executable, "-m", "arena.cli", "serve", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"arena serve kept running: {out} {err}")
    return proc.returncode, out, err


def test_busy_port_is_one_clear_line_and_exit_1(site_root: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = _finish(_serve(site_root, "--port", str(port)))
    assert code == 1
    assert err == f"port {port} is in use; try --port {port + 1}\n"
    assert out == ""


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_invalid_port_is_a_usage_error(site_root: Path, port: str) -> None:
    code, out, err = _finish(_serve(site_root, "--port", port))
    assert code == 2
    assert err.startswith("usage: ") and "--port" in err.splitlines()[-1]
    assert "Traceback" not in err


def _listening_port(proc: subprocess.Popen) -> int:
    """The port from the "Serving … at http://host:port/" line (port 0 = the system's choice)."""
    line = proc.stdout.readline()
    assert "http://" in line, line + proc.stderr.read()
    return int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=3).close()
        return True
    except ConnectionRefusedError:
        return False


@pytest.mark.parametrize("args, reachable, unreachable", [
    ((), "127.0.0.1", "127.0.0.2"),                       # default: 127.0.0.1 only, not all of lo
    (("--host", "127.0.0.2"), "127.0.0.2", "127.0.0.1"),  # --host decides
])
def test_listens_on_loopback_unless_host_given(site_root: Path, args: tuple, reachable: str,
                                               unreachable: str) -> None:
    proc = _serve(site_root, "--port", "0", *args)
    try:
        port = _listening_port(proc)
        assert port != 0
        assert _accepts(reachable, port)
        assert not _accepts(unreachable, port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
