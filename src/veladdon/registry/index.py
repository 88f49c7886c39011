"""`veladdon repo index`: the Helm `index.yaml` of a folder of addon packages, as the public catalog
publishes it (chart metadata with `addon.name`, `system.vela` and `system.kubernetes` annotations,
`urls`, a sha256 `digest`, `created`).

Timestamps are deterministic where anything allows it (Helm stamps `time.Now()` on every run):

* `created` of an entry: when `--merge` brings an entry with the same name, version and digest, its
  `created` (republishing does not re-date old packages); else `$SOURCE_DATE_EPOCH` when set; else the
  mtime of `Chart.yaml` inside the archive — `veladdon package` stamps `$SOURCE_DATE_EPOCH` there, or
  0 (1970-01-01T00:00:00Z) when it was unset;
* `generated`: `$SOURCE_DATE_EPOCH` when set, else the latest `created` of the index.

So one folder of packages indexes to the same bytes on every machine and every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from veladdon.addon.versions import is_semver, parse_version
from veladdon.addon.yamlutil import dump_yaml
from veladdon.errors import InputError
from veladdon.registry.package import read_chart_yaml, source_date_epoch

# Chart.yaml fields Helm copies into an index entry (chart.Metadata's JSON names).
CHART_FIELDS = (
    "apiVersion",
    "name",
    "version",
    "appVersion",
    "description",
    "keywords",
    "home",
    "icon",
    "sources",
    "maintainers",
    "kubeVersion",
    "deprecated",
    "annotations",
    "dependencies",
    "condition",
    "tags",
    "type",
)


def format_time(epoch: int) -> str:
    """RFC 3339 in UTC, second precision: `2024-01-02T15:04:05Z`."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> dt.datetime | None:
    """An RFC 3339 time as Helm writes it (nanoseconds allowed), or None when it is not one."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text.strip())
    if m is None:
        return None
    frac = (m.group(2) or "")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        return dt.datetime.fromisoformat(m.group(1) + frac + zone)
    except ValueError:
        return None


def _annotations(chart: Mapping[str, Any], meta_bytes: bytes | None) -> dict[str, str]:
    """Chart annotations, completed from metadata.yaml for archives whose Chart.yaml lacks them."""
    raw = chart.get("annotations")
    annotations = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
    if meta_bytes is not None:
        try:
            meta = yaml.safe_load(meta_bytes)
        except yaml.YAMLError:
            meta = None
        if isinstance(meta, Mapping):
            lowered = {str(k).lower(): v for k, v in meta.items()}
            if lowered.get("name"):
                annotations.setdefault("addon.name", str(lowered["name"]))
            system = lowered.get("system")
            if isinstance(system, Mapping):
                sys_l = {str(k).lower(): v for k, v in system.items()}
                for key in ("vela", "kubernetes"):
                    if sys_l.get(key):
                        annotations.setdefault(f"system.{key}", str(sys_l[key]))
    return annotations


def chart_entry(archive: Path, rel: str, url: str | None) -> dict[str, Any]:
    """One index entry for the archive at `archive` (`rel`: its path relative to the indexed folder)."""
    try:
        data = archive.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {archive}: {exc.strerror}", path=archive) from exc
    chart, mtime, meta_bytes = read_chart_yaml(data, rel)
    name, version = str(chart.get("name") or ""), str(chart.get("version") or "")
    if not name or not version:
        raise InputError(f"{rel}: Chart.yaml must set name and version", path=archive)
    if not is_semver(version):
        raise InputError(f"{rel}: version {version!r} is not a semantic version", path=archive)
    entry = {k: chart[k] for k in CHART_FIELDS if chart.get(k) not in (None, "", [], {})}
    entry["name"], entry["version"] = name, version
    annotations = _annotations(chart, meta_bytes)
    if annotations:
        entry["annotations"] = annotations
    entry["urls"] = [f"{url.rstrip('/')}/{rel}" if url else rel]
    entry["digest"] = hashlib.sha256(data).hexdigest()
    entry["created"] = format_time(mtime)
    return entry


def load_index_file(path: Path) -> dict[str, Any]:
    """An index.yaml from disk as a plain document; InputError naming the file when it is not one."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}", path=path) from exc
    if doc is None:
        return {"apiVersion": "v1", "entries": {}}
    if not isinstance(doc, dict) or not isinstance(doc.get("entries", {}), dict):
        raise InputError(f"{path} is not a Helm repository index (no `entries` mapping)", path=path)
    return doc


def _version_key(entry: Mapping[str, Any]) -> Any:
    text = str(entry.get("version", ""))
    return parse_version(text) if is_semver(text) else parse_version("0.0.0-0")


def build_index(
    directory: str | Path, *, url: str | None = None, merge: str | Path | None = None
) -> dict[str, Any]:
    """The index document for every `*.tgz` in `directory` and its direct sub-folders (as `helm repo
    index`). `url` prefixes the archive paths in `urls` (else they stay relative, which readers join
    to the registry URL). With `merge`, that index's entries are kept where the folder has no package
    of the same name and version. Raises InputError for an unreadable folder or archive."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{directory} is not a folder", hint="give the folder holding the .tgz packages")
    archives = sorted(
        [p for p in root.glob("*.tgz") if p.is_file()] + [p for p in root.glob("*/*.tgz") if p.is_file()],
        key=lambda p: p.relative_to(root).as_posix(),
    )
    previous: dict[str, Any] = {}
    if merge is not None:
        merge_path = Path(merge)
        previous = load_index_file(merge_path) if merge_path.exists() else {}
    old_entries: dict[tuple[str, str], dict[str, Any]] = {}
    for name, versions in (previous.get("entries") or {}).items():
        for item in versions or []:
            if isinstance(item, dict):
                old_entries[(str(name), str(item.get("version", "")))] = item

    epoch = source_date_epoch()
    entries: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for archive in archives:
        entry = chart_entry(archive, archive.relative_to(root).as_posix(), url)
        key = (entry["name"], entry["version"])
        if key in seen:
            raise InputError(
                f"two packages of {key[0]} {key[1]} in {directory}", hint="keep one archive per version"
            )
        seen.add(key)
        old = old_entries.get(key)
        if old is not None and old.get("digest") == entry["digest"] and old.get("created"):
            entry["created"] = str(old["created"])
        elif epoch is not None:
            entry["created"] = format_time(epoch)
        entries.setdefault(entry["name"], []).append(entry)
    for key, old in sorted(old_entries.items()):
        if key not in seen:
            entries.setdefault(key[0], []).append(dict(old))
    for versions in entries.values():
        versions.sort(key=_version_key, reverse=True)

    if epoch is not None:
        generated = format_time(epoch)
    else:
        times = [t for v in entries.values() for e in v if (t := parse_time(str(e.get("created", ""))))]
        generated = format_time(int(max(times).timestamp())) if times else format_time(0)
    return {"apiVersion": "v1", "entries": entries, "generated": generated}


@dataclass(frozen=True)
class IndexResult:
    path: Path
    charts: int  # addon names
    versions: int  # packages


def write_index(
    directory: str | Path,
    *,
    url: str | None = None,
    merge: str | Path | None = None,
    out: str | Path | None = None,
) -> IndexResult:
    """Build the index (see `build_index`) and write it to `out` (default `<directory>/index.yaml`)."""
    doc = build_index(directory, url=url, merge=merge)
    target = Path(out) if out is not None else Path(directory) / "index.yaml"
    try:
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        tmp.write_text(dump_yaml(doc), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}", path=target) from exc
    entries = doc["entries"]
    return IndexResult(target, len(entries), sum(len(v) for v in entries.values()))


__all__ = [
    "IndexResult",
    "build_index",
    "chart_entry",
    "format_time",
    "load_index_file",
    "parse_time",
    "write_index",
]
