"""Registries that are not Helm over HTTP: a folder on disk, and the types veladdon cannot read.

A folder registry is either a folder of addon folders (each sub-folder with a metadata.yaml is an
addon, one version each, looked up by folder name as upstream's Git/OSS readers do) or a folder
holding an `index.yaml` and its `.tgz` packages (read like a Helm registry). Git, Gitee, GitLab and
OSS registries need their hosting APIs: they are reported as unsupported, never silently skipped.
"""

from __future__ import annotations

from pathlib import Path

from veladdon.addon.loader import parse_metadata
from veladdon.addon.model import Metadata, SourceFile
from veladdon.errors import InputError
from veladdon.registry.cache import RegistryCache
from veladdon.registry.helm import IndexedRegistry
from veladdon.registry.http import DEFAULT_TIMEOUT
from veladdon.registry.model import (
    AddonNotFoundError,
    AvailableAddon,
    ClusterVersions,
    LocalSource,
    RegistryError,
    RegistrySpec,
    RegistryWarning,
    ResolvedAddon,
    VersionUnavailableError,
)
from veladdon.registry.version_choice import unmet_requirement


class FolderRegistry:
    """A folder of addon folders: one version per addon (its metadata's)."""

    def __init__(self, spec: RegistrySpec, root: Path) -> None:
        self.spec = spec
        self.name = spec.name
        self.root = root
        self.warnings: list[RegistryWarning] = []

    def _addons(self) -> dict[str, tuple[Path, Metadata]]:
        try:
            folders = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as exc:
            raise RegistryError(f"cannot read registry folder {self.root}: {exc.strerror}") from None
        found: dict[str, tuple[Path, Metadata]] = {}
        for folder in folders:
            meta_path = folder / "metadata.yaml"
            if not meta_path.is_file():
                continue
            try:
                text = meta_path.read_text(encoding="utf-8")
                found[folder.name] = (folder, parse_metadata(SourceFile(meta_path, "metadata.yaml", text)))
            except (OSError, UnicodeDecodeError, InputError):
                continue  # a broken addon must not hide the others; `veladdon lint` names the problem
        return found

    def list_addons(self) -> list[AvailableAddon]:
        return [
            AvailableAddon(
                meta.name, self.name, meta.version, meta.description, meta.icon, meta.tags, (meta.version,)
            )
            for _, (_, meta) in sorted(self._addons().items())
        ]

    def versions(self) -> dict[str, list[str]]:
        return {meta.name: [meta.version] for _, meta in self._addons().values()}

    def fetch(
        self, name: str, version: str | None = None, cluster: ClusterVersions | None = None
    ) -> ResolvedAddon:
        """The addon folder itself (nothing is copied). A `version` other than the folder's is an
        error: a folder holds one version, and ignoring the request (upstream) would install another."""
        addons = self._addons()
        hit = addons.get(name) or next((v for v in addons.values() if v[1].name == name), None)
        if hit is None:
            raise AddonNotFoundError(f"addon {name} not exist in registry {self.name}")
        folder, meta = hit
        if version and version.removeprefix("v") != meta.version.removeprefix("v"):
            raise VersionUnavailableError(
                f"specified version {version} for addon {name} not exist: registry {self.name} is a folder "
                f"holding only version {meta.version}",
            )
        why = unmet_requirement(meta.system, cluster)
        reason = f"{name} {meta.version}: the only version in folder registry {self.name}"
        if why:
            reason += f" (it {why})"
        return ResolvedAddon(
            name=meta.name,
            version=meta.version,
            registry=self.name,
            path=folder,
            system=meta.system if meta.system and (meta.system.vela or meta.system.kubernetes) else None,
            versions=(meta.version,),
            reason=reason,
            suits_cluster=why is None,
        )


class UnsupportedRegistry:
    """Git, Gitee, GitLab and OSS registries: listed in the ConfigMap, but not readable by veladdon."""

    def __init__(self, spec: RegistrySpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.warnings: list[RegistryWarning] = []

    def _fail(self) -> RegistryError:
        return RegistryError(
            f"registry {self.name} is a {self.spec.kind} registry, which needs its hosting API over the "
            "network and is not supported by veladdon",
            hint="publish the addons as a Helm registry (veladdon package + veladdon repo index) instead",
        )

    def list_addons(self) -> list[AvailableAddon]:
        raise self._fail()

    def versions(self) -> dict[str, list[str]]:
        raise self._fail()

    def fetch(
        self, name: str, version: str | None = None, cluster: ClusterVersions | None = None
    ) -> ResolvedAddon:
        raise self._fail()


def open_local(
    spec: RegistrySpec, *, cache: RegistryCache | None = None, timeout: float = DEFAULT_TIMEOUT
) -> FolderRegistry | IndexedRegistry:
    """The reader for a `local` registry: indexed when the folder has an index.yaml."""
    assert isinstance(spec.source, LocalSource)
    root = Path(spec.source.path).expanduser()
    if not root.is_dir():
        raise RegistryError(f"registry {spec.name}: folder {root} does not exist")
    if (root / "index.yaml").is_file():
        return IndexedRegistry(spec, cache=cache, timeout=timeout, base=str(root.resolve()))
    return FolderRegistry(spec, root.resolve())


__all__ = ["FolderRegistry", "UnsupportedRegistry", "open_local"]
