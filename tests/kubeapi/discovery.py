"""Resource types (built-in and from CRDs) and the legacy discovery documents that describe them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = tuple(ALL_VERBS)
    status_subresource: bool = False
    has_generation: bool = False
    custom: bool = False
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> tuple[str, str]:
        return (self.group, self.version)

    @property
    def store_key(self) -> tuple[str, str]:
        # Objects are stored once per group and resource, whatever version is used to reach them.
        return (self.group, self.plural)


BUILTIN: list[ResourceType] = [
    ResourceType(
        "",
        "v1",
        "namespaces",
        "Namespace",
        False,
        "namespace",
        ("ns",),
        status_subresource=True,
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, "configmap", ("cm",)),
    ResourceType("", "v1", "secrets", "Secret", True, "secret"),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, "serviceaccount", ("sa",)),
    ResourceType(
        "",
        "v1",
        "services",
        "Service",
        True,
        "service",
        ("svc",),
        status_subresource=True,
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    ResourceType(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        True,
        "deployment",
        ("deploy",),
        status_subresource=True,
        has_generation=True,
        categories=("all",),
    ),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        "customresourcedefinition",
        ("crd", "crds"),
        status_subresource=True,
        has_generation=True,
    ),
]


@dataclass
class Registry:
    """All served resource types; CRDs add and remove theirs at run time."""

    types: dict[tuple[str, str, str], ResourceType] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        for rt in BUILTIN:
            self.types[(rt.group, rt.version, rt.plural)] = rt

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        """The type an ownerReference's apiVersion and kind name (what the collector's REST mapper finds)."""
        with self.lock:
            found = (rt for rt in self.types.values() if rt.kind == kind and rt.group == group)
            return next((rt for rt in found if rt.version == version), None)

    def by_store_key(self, key: tuple[str, str]) -> list[ResourceType]:
        with self.lock:
            return [rt for rt in self.types.values() if rt.store_key == key]

    def group_versions(self) -> dict[str, list[str]]:
        with self.lock:
            groups: dict[str, list[str]] = {}
            for rt in self.types.values():
                versions = groups.setdefault(rt.group, [])
                if rt.version not in versions:
                    versions.append(rt.version)
            return groups

    def resources(self, group: str, version: str) -> list[ResourceType]:
        with self.lock:
            return [rt for rt in self.types.values() if rt.group_version == (group, version)]

    def set_crd_types(self, crd_name: str, types: list[ResourceType]) -> None:
        group, plural = crd_name.split(".", 1)[1], crd_name.split(".", 1)[0]
        with self.lock:
            for k in [k for k, rt in self.types.items() if rt.custom and rt.store_key == (group, plural)]:
                del self.types[k]
            for rt in types:
                self.types[(rt.group, rt.version, rt.plural)] = rt


def crd_types(crd: dict[str, Any]) -> list[ResourceType]:
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    group = spec.get("group", "")
    kind = names.get("kind", "")
    out = []
    for v in spec.get("versions", []):
        if not v.get("served", True):
            continue
        out.append(
            ResourceType(
                group=group,
                version=v["name"],
                plural=names.get("plural", ""),
                kind=kind,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular") or kind.lower(),
                short_names=tuple(names.get("shortNames") or ()),
                status_subresource="status" in (v.get("subresources") or {}),
                has_generation=True,
                custom=True,
                categories=tuple(names.get("categories") or ()),
            )
        )
    return out


def version_doc() -> dict[str, Any]:
    return {
        "major": "1",
        "minor": "30",
        "gitVersion": "v1.30.0-veladdon-emulator",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-04-17T00:00:00Z",
        "goVersion": "go1.22.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_doc(group: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def api_group_list(registry: Registry) -> dict[str, Any]:
    groups = [_group_doc(g, vs) for g, vs in registry.group_versions().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> dict[str, Any] | None:
    versions = registry.group_versions().get(group)
    if not group or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, versions)}


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = registry.resources(group, version)
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for rt in sorted(types, key=lambda t: t.plural):
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        if rt.status_subresource:
            resources.append(
                {
                    "name": f"{rt.plural}/status",
                    "singularName": "",
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
