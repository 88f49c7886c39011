"""Registries and packaging: `package` (folder → chart archive), `repo index` (Helm index.yaml), and
reading Helm and folder registries — listing, resolving `[REGISTRY/]NAME[@VERSION]` to an unpacked
addon folder, dependencies, and a cache that keeps it all working offline. No cluster access: the
registry configuration comes in as `RegistrySpec`s (veladdon.kube reads them from the ConfigMap)."""

from veladdon.registry.model import (
    AddonNotFoundError,
    AvailableAddon,
    ClusterVersions,
    RegistryError,
    RegistryNotConfigured,
    RegistrySpec,
    RegistryWarning,
    ResolvedAddon,
    VersionUnavailableError,
)
from veladdon.registry.resolve import AddonRef, Listing, Registries, list_available, parse_addon_ref, resolve

__all__ = [
    "AddonNotFoundError",
    "AddonRef",
    "AvailableAddon",
    "ClusterVersions",
    "Listing",
    "Registries",
    "RegistryError",
    "RegistryNotConfigured",
    "RegistrySpec",
    "RegistryWarning",
    "ResolvedAddon",
    "VersionUnavailableError",
    "list_available",
    "parse_addon_ref",
    "resolve",
]
