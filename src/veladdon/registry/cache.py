"""The registry cache: downloaded indexes, packages and their unpacked folders, so that after one fetch
an addon can be listed, resolved and enabled offline.

Where: `$VELADDON_CACHE_DIR/registries`, else `$XDG_CACHE_HOME/veladdon/registries`, else
`~/.cache/veladdon/registries`; everything in it can be deleted at any time.

* `indexes/<sha256(url)>.yaml` — an index, keyed by its URL (not the registry name, which can be
  re-pointed); its mtime is when it was fetched;
* `packages/<key>.tgz` — an archive, keyed by the index's sha256 digest (content-addressed, so it is
  never stale) or, for an index without digests, by the download URL;
* `addons/<key>/<name>/` — that archive unpacked, which is the folder `resolve` hands out (whole
  once it holds `.complete`).

Writes are atomic (a temporary name, then a rename) so concurrent runs never see half a file; a cache
that cannot be written is skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from veladdon.paths import cache_dir
from veladdon.registry.model import RegistryError
from veladdon.registry.package import unpack_chart

COMPLETE = ".complete"  # written last into an unpacked addon folder: the folder is whole


def default_cache_dir() -> Path:
    return cache_dir("registries")


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:40]


class RegistryCache:
    """One cache folder (see the module docstring for its layout)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_cache_dir()

    # indexes ---------------------------------------------------------------------------------

    def index_file(self, url: str) -> Path:
        return self.root / "indexes" / f"{url_key(url)}.yaml"

    def read_index(self, url: str) -> tuple[bytes, float] | None:
        """(bytes, age in seconds) of the cached index of `url`, or None."""
        path = self.index_file(url)
        try:
            data = path.read_bytes()
            age = max(0.0, time.time() - path.stat().st_mtime)
        except OSError:
            return None
        return data, age

    def write_index(self, url: str, data: bytes) -> None:
        _atomic_write(self.index_file(url), data)

    # packages --------------------------------------------------------------------------------

    def package_file(self, key: str) -> Path:
        return self.root / "packages" / f"{key}.tgz"

    def read_package(self, key: str) -> bytes | None:
        try:
            return self.package_file(key).read_bytes()
        except OSError:
            return None

    def write_package(self, key: str, data: bytes) -> None:
        _atomic_write(self.package_file(key), data)

    def addon_dir(self, key: str, name: str) -> Path:
        return self.root / "addons" / key / name

    def unpacked_addon(self, key: str, name: str) -> Path | None:
        """The folder package `key` was unpacked into, when it is there and complete."""
        folder = self.addon_dir(key, name)
        return folder if folder.is_dir() and (folder / COMPLETE).exists() else None

    def unpack_addon(self, key: str, name: str, data: bytes, *, source: str) -> Path:
        """Unpack archive `data` (from `source`) into a fresh sibling folder then swap it in, so readers
        never see half an addon; a cache that cannot be written unpacks into a private temporary
        folder, which still serves this run."""
        folder = self.addon_dir(key, name)
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        except OSError:
            staging = Path(tempfile.mkdtemp(prefix="veladdon-addon-"))
            target = staging / folder.name
            target.mkdir()
            unpack_chart(data, target, source=source)
            return target
        try:
            unpack_chart(data, staging, source=source)
            (staging / COMPLETE).write_text("", encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            staging.replace(folder)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if (folder / COMPLETE).exists():  # another run won the race
                return folder
            raise RegistryError(f"cannot unpack {source} into {folder}: {exc.strerror}") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return folder

    def clear(self) -> Path:
        shutil.rmtree(self.root, ignore_errors=True)
        return self.root


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return  # a read-only or full cache must not stop a resolution


__all__ = ["RegistryCache", "default_cache_dir", "url_key"]
