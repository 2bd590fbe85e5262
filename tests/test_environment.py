"""The pinned environment: every dependency is locked, and what runs is what the lock says."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", (REPO / "requirements.lock").read_text(encoding="utf-8"), re.M)
    return {_norm(n): v for n, v in pins}


def test_every_declared_dependency_is_pinned() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    names = {_norm(re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0]) for d in declared}
    missing = sorted(names - set(_locked()))
    assert not missing, f"not in requirements.lock (run `make lock`): {missing}"


def test_installed_versions_are_the_locked_ones() -> None:
    wrong = {}
    for name, version in _locked().items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong[name] = (version, "not installed")
            continue
        if have != version:
            wrong[name] = (version, have)
    assert not wrong, f"installed differ from requirements.lock (run `make setup`): {wrong}"
