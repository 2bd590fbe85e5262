"""Where things are. One place, so that tests can point the whole pipeline at a copy."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("ARENA_ROOT", Path(__file__).resolve().parent.parent))
DATA = ROOT / "data"
CODEBOOK = DATA / "codebook" / "codebook.yaml"
PUBLISHED = DATA / "published" / "published.csv"
RAW = DATA / "raw" / "survey.csv"
EXPECTATIONS = ROOT / "expectations"
SITE = ROOT / "_site"
CACHE = ROOT / ".arena-cache"
SEEDS = Path(os.environ.get("ARENA_SEEDS", ROOT.parent / "shared" / "seeds"))
