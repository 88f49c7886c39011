"""Which version of an addon to fetch from a registry (upstream §9.4): the one asked for, else the
highest that is not a prerelease and whose requirements suit the cluster."""

from __future__ import annotations

from collections.abc import Sequence

from veladdon.addon.model import SystemRequirements
from veladdon.addon.versions import VersionError, check_semver, choose_helm_version, is_semver, parse_version
from veladdon.registry.helm_index import ChartVersion
from veladdon.registry.model import ClusterVersions


def unmet_requirement(system: SystemRequirements | None, cluster: ClusterVersions | None) -> str | None:
    """Why `system` does not suit `cluster` (e.g. `needs vela >=1.6.0`), or None when it does.
    Unknown or non-semver cluster versions are not held against it, as upstream bypasses them."""
    if system is None or cluster is None:
        return None
    for label, wanted, actual in (
        ("vela", system.vela, cluster.vela),
        ("kubernetes", system.kubernetes, cluster.kubernetes),
    ):
        if not wanted or not actual or not is_semver(actual.removeprefix("v")):
            continue
        try:
            ok = check_semver(actual, wanted)
        except VersionError:
            return f"has an invalid {label} requirement {wanted!r}"
        if not ok:
            return f"needs {label} {wanted}"
    return None


def _cluster_text(cluster: ClusterVersions) -> str:
    parts = [
        f"vela {cluster.vela}" if cluster.vela else "",
        f"kubernetes {cluster.kubernetes}" if cluster.kubernetes else "",
    ]
    return ", ".join(p for p in parts if p) or "versions unknown"


def choose_version(
    name: str,
    charts: Sequence[ChartVersion],
    requested: str | None,
    cluster: ClusterVersions | None = None,
) -> tuple[ChartVersion, str, bool]:
    """(chart, one-line reason, suits the cluster) for addon `name`.

    `requested`: exact match ignoring a leading `v` (VersionNotFoundError otherwise). Else, without
    `cluster`, the highest version that is not a prerelease; with it, the highest non-prerelease whose
    index requirements suit the cluster — or, when none does, the highest anyway (suits=False: the
    enable's requirement check then explains, as upstream's would)."""
    by_version = {c.version: c for c in charts}
    available = [c.version for c in charts]
    if requested:
        chosen = by_version[choose_helm_version(available, requested, name)]
        why = unmet_requirement(chosen.system, cluster)
        reason = f"{name} {chosen.version}: as requested"
        if why:
            reason += f" (it {why}; the cluster has {_cluster_text(cluster or ClusterVersions())})"
        return chosen, reason, why is None
    default = by_version[choose_helm_version(available, None, name)]
    if cluster is None or (cluster.vela is None and cluster.kubernetes is None):
        return default, f"{name} {default.version}: the highest version that is not a prerelease", True
    skipped: list[str] = []
    for chart in charts:
        v = parse_version(chart.version) if is_semver(chart.version) else None
        if v is None or v.prerelease:
            continue
        why = unmet_requirement(chart.system, cluster)
        if why is None:
            reason = f"{name} {chart.version}: the highest version whose requirements suit the cluster"
            if skipped:
                reason += f" ({_cluster_text(cluster)}; {'; '.join(skipped)})"
            return chart, reason, True
        skipped.append(f"{chart.version} {why}")
    reason = (
        f"{name} {default.version}: the highest version, though none suits the cluster "
        f"({_cluster_text(cluster)}; {'; '.join(skipped[:3])})"
    )
    return default, reason, False
