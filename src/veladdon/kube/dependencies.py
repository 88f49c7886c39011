"""Enabling an addon's dependencies first (upstream §6.6): found as folders beside the addon (`enable
DIR`) or in the registries (`enable NAME`, veladdon.kube.catalog), then enabled one by one by the
same loop, each with only the `clusters` parameter of the addon that needs it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from veladdon.addon.model import Addon, SystemRequirements
from veladdon.addon.versions import Constraint, VersionError
from veladdon.errors import VeladdonError
from veladdon.kube.cluster import Cluster
from veladdon.kube.records import installed_addons

if TYPE_CHECKING:
    from veladdon.kube.enable import EnableOptions, EnableReport, Listener

# Enables one dependency folder with the options given (veladdon.kube.enable.enable, bound).
EnableOne = Callable[[Path, "EnableOptions"], "EnableReport"]


class DependencyMissing(VeladdonError):
    pass


@dataclass(frozen=True)
class Dependency:
    """A dependency to enable: its folder, and where it comes from as progress says it (`from DIR`,
    `1.2.0 from registry main`). From a registry, also that registry's name and requirements."""

    name: str
    path: Path
    origin: str
    registry: str | None = None
    system: SystemRequirements | None = None


def enable_dependencies(
    dependencies: list[Dependency], options: EnableOptions, listener: Listener, enable_one: EnableOne
) -> list[EnableReport]:
    """Enable each in order (with a dry run, only say so), telling `listener` about each."""
    reports = []
    clusters = options.args.get("clusters")
    for dep in dependencies:
        listener.progress(f"enabling dependency {dep.name} {dep.origin}")
        if options.dry_run:
            continue
        dep_options = copy.copy(options)
        dep_options.args = {"clusters": clusters} if clusters else {}
        dep_options.upgrade = False
        dep_options.wait = False
        if dep.registry is not None:
            dep_options.registry = dep.registry
            dep_options.system = dep.system
        enabled = enable_one(dep.path, dep_options)
        listener.enabled(enabled)
        reports.append(enabled)
    return reports


def enable_sibling_dependencies(
    cluster: Cluster,
    addon: Addon,
    path: Path,
    options: EnableOptions,
    listener: Listener,
    visiting: frozenset[str],
    enable_one: EnableOne,
) -> list[EnableReport]:
    """Upstream §6.6, fixed: every missing dependency found as a sibling folder is enabled first (all of
    them, not just the first); the rest are listed together. `visiting`: the addons being enabled on
    the way here, to refuse a cycle."""
    deps = [d for d in addon.metadata.dependencies if d.name]
    if not deps:
        return []
    installed = installed_addons(cluster, options.system_namespace)
    problems: list[str] = []
    to_enable: list[Path] = []
    for dep in deps:
        if dep.name in visiting:
            problems.append(f"{dep.name} (a dependency cycle: {' → '.join([*sorted(visiting), dep.name])})")
            continue
        if dep.name in installed:
            if dep.version and not _constraint_ok(installed[dep.name], dep.version):
                problems.append(f"{dep.name} {dep.version} (the cluster has {installed[dep.name]})")
            continue
        sibling = path.resolve().parent / dep.name
        if options.enable_dependencies and (sibling / "metadata.yaml").is_file():
            to_enable.append(sibling)
        else:
            want = f" {dep.version}" if dep.version else ""
            problems.append(f"{dep.name}{want} (not enabled, and no folder {sibling})")
    if problems and options.dry_run:
        listener.progress(
            "dry run: dependencies are not enabled; make sure these are: " + "; ".join(problems)
        )
        return []
    if problems:
        raise DependencyMissing(
            f"{addon.name} needs addons that are not enabled: {'; '.join(problems)}",
            hint="enable them first (`veladdon enable DIR`), or keep their folders beside this one",
        )
    if options.dry_run:
        if to_enable:
            listener.progress(
                "dry run: dependencies are not enabled; they would be: "
                + ", ".join(p.name for p in to_enable)
            )
        return []
    found = [Dependency(folder.name, folder, f"from {folder}") for folder in to_enable]
    return enable_dependencies(found, options, listener, enable_one)


def _constraint_ok(version: str, constraint: str) -> bool:
    try:
        return Constraint.parse(constraint).check(version)
    except VersionError:
        return False
