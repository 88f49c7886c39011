"""`enable NAME[@VERSION]` and `enable REGISTRY/NAME`: install from the registries the cluster knows.

The registries (upstream §9.1) are read from the cluster; the version is chosen to suit the cluster's
KubeVela and Kubernetes versions (upstream §9.4), dependencies are resolved from the same registry first,
then the others (upstream §6.6), and a registry that fails is reported and skipped while others can serve.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from veladdon.cue.evaluator import Evaluator
from veladdon.kube.checks import vela_core_version
from veladdon.kube.cluster import Cluster
from veladdon.kube.dependencies import Dependency, enable_dependencies
from veladdon.kube.enable import EnableOptions, EnableReport, Listener, enable
from veladdon.kube.records import installed_addons
from veladdon.kube.registry_store import list_registries
from veladdon.registry import AddonNotFoundError, ClusterVersions, Registries, RegistryNotConfigured


def looks_like_name(text: str) -> bool:
    """`fluxcd`, `fluxcd@1.2.0` or `KubeVela/fluxcd`: not a path (upstream §1.2 step 5)."""
    return not (text.startswith((".", "/", "~")) or text.endswith("/") or text.count("/") > 1)


def enable_from_registry(
    cluster: Cluster,
    ref: str,
    options: EnableOptions,
    *,
    evaluator: Evaluator,
    version: str | None = None,
    refresh: bool = False,
    listener: Listener = Listener(),
) -> EnableReport:
    ns = options.system_namespace
    specs, warnings = list_registries(cluster, ns)
    if not specs:
        raise AddonNotFoundError(
            f"{ref} is not a folder, and the cluster has no addon registry to find it in",
            hint="give an addon folder, or add a registry with `veladdon registry add`",
        )
    registries = Registries(specs, refresh=refresh)
    versions = None
    if not options.skip_version_check:
        versions = ClusterVersions(
            vela=vela_core_version(cluster) or None, kubernetes=cluster.server_version()
        )
    # Warnings are said now, before anything is applied (and kept in the report for library callers).
    for warning in warnings:
        listener.warn(warning)
    resolved = registries.resolve(ref, version=version, cluster=versions)
    for registry_warning in resolved.warnings:
        listener.warn(str(registry_warning))
    if resolved.reason:
        listener.progress(resolved.reason)
    installed = installed_addons(cluster, ns)
    dependencies = registries.resolve_dependencies(
        resolved, installed=installed, cluster=versions, registry=resolved.registry
    )
    found = [
        Dependency(d.name, d.path, f"{d.version} from registry {d.registry}", d.registry, d.system)
        for d in dependencies
    ]

    def enable_one(folder: Path, dep_options: EnableOptions) -> EnableReport:
        return enable(cluster, folder, dep_options, evaluator=evaluator, listener=listener)

    reports = enable_dependencies(found, options, listener, enable_one)
    main = copy.copy(options)
    main.registry = resolved.registry
    main.system = resolved.system
    result = enable(cluster, resolved.path, main, evaluator=evaluator, listener=listener)
    result.dependencies = [*reports, *result.dependencies]
    result.warnings = [*warnings, *(str(w) for w in resolved.warnings), *result.warnings]
    return result


def available_addons(
    cluster: Cluster, namespace: str, *, registry: str | None = None, refresh: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """What the registries offer (one registry, or all), beside the enabled addons' status (upstream §8.2):
    rows `{name, registry, description, versions, status}` sorted by registry then name, and the
    warnings of registries that failed (they are skipped, not fatal)."""
    from veladdon.addon.versions import format_available_versions, limit_string_length
    from veladdon.kube.status import list_addons

    specs, warnings = list_registries(cluster, namespace)
    if registry is not None and registry not in {s.name for s in specs}:
        raise RegistryNotConfigured(f"specified registry {registry} not exist")
    listing = Registries(specs, refresh=refresh).list_available(registry)
    enabled = {a.name: a for a in list_addons(cluster, namespace).addons}
    rows = []
    for addon in listing.addons:
        installed = enabled.get(addon.name)
        status = "-"
        if installed is not None:
            status = f"{installed.phase} ({installed.version})" if installed.version else installed.phase
        rows.append(
            {
                "name": addon.name,
                "registry": addon.registry,
                "description": limit_string_length(addon.description, 60),
                "versions": list(addon.versions),
                "versionsShown": format_available_versions(
                    list(addon.versions), installed.version if installed else None, 3
                ),
                "status": status,
            }
        )
    return rows, [*warnings, *(str(w) for w in listing.warnings)]
