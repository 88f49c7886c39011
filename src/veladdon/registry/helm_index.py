"""A Helm repository's `index.yaml` as veladdon reads it (upstream §9.4): each addon's chart versions,
highest first, with their URLs, digest and `system.*` annotations. (`veladdon repo index`, which
writes one, is veladdon.registry.index.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from veladdon.addon.model import SystemRequirements
from veladdon.addon.versions import is_semver, parse_version
from veladdon.registry.model import AvailableAddon, RegistryError


@dataclass(frozen=True)
class ChartVersion:
    """One version of one addon in an index."""

    name: str
    version: str
    description: str = ""
    icon: str = ""
    keywords: tuple[str, ...] = ()
    home: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    digest: str = ""
    created: str = ""

    @property
    def system(self) -> SystemRequirements | None:
        """Requirements from the index annotations only (upstream §9.4); None when there are none."""
        vela = self.annotations.get("system.vela", "")
        kube = self.annotations.get("system.kubernetes", "")
        return SystemRequirements(vela, kube) if vela or kube else None


@dataclass(frozen=True)
class HelmIndex:
    """Every addon of an index; each one's versions highest first (Helm's ordering)."""

    entries: Mapping[str, tuple[ChartVersion, ...]]

    def addons(self, registry: str) -> list[AvailableAddon]:
        """Upstream's listing: fields of the highest version (even a prerelease), all versions, empty
        entries skipped; sorted by name (upstream follows the map order)."""
        out = []
        for name in sorted(self.entries):
            charts = self.entries[name]
            if not charts:
                continue
            top = charts[0]
            out.append(
                AvailableAddon(
                    name,
                    registry,
                    top.version,
                    top.description,
                    top.icon,
                    top.keywords,
                    tuple(c.version for c in charts),
                )
            )
        return out

    def versions(self) -> dict[str, list[str]]:
        return {name: [c.version for c in charts] for name, charts in self.entries.items() if charts}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _rank(charts: list[ChartVersion]) -> tuple[ChartVersion, ...]:
    parsed = [c for c in charts if is_semver(c.version)]
    parsed.sort(key=lambda c: parse_version(c.version), reverse=True)
    return tuple(parsed + [c for c in charts if not is_semver(c.version)])


def parse_index(data: bytes, source: str) -> HelmIndex:
    """Decode an index.yaml; RegistryError naming `source` when it is not one. Lenient about unknown
    fields (upstream is strict, which breaks on indexes written by newer Helm versions)."""
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise RegistryError(f"parse index file from {source} failure: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("entries") or {}, dict):
        raise RegistryError(f"parse index file from {source} failure: not a Helm repository index")
    entries: dict[str, tuple[ChartVersion, ...]] = {}
    for name, items in (doc.get("entries") or {}).items():
        charts = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            raw_ann = item.get("annotations")
            annotations = {str(k): str(v) for k, v in raw_ann.items()} if isinstance(raw_ann, dict) else {}
            charts.append(
                ChartVersion(
                    str(name),
                    str(item.get("version") or ""),
                    str(item.get("description") or ""),
                    str(item.get("icon") or ""),
                    _strings(item.get("keywords")),
                    str(item.get("home") or ""),
                    annotations,
                    _strings(item.get("urls")),
                    str(item.get("digest") or ""),
                    str(item.get("created") or ""),
                )
            )
        entries[str(name)] = _rank(charts)
    return HelmIndex(entries)
