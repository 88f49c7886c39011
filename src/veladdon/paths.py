"""Where veladdon keeps caches: `$VELADDON_CACHE_DIR/<kind>`, else `$XDG_CACHE_HOME/veladdon/<kind>`,
else `~/.cache/veladdon/<kind>`. Everything there can be deleted at any time."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    explicit = os.environ.get("VELADDON_CACHE_DIR")
    if explicit:
        return Path(explicit) / kind
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "veladdon" / kind
