"""Several registries at once: listing what they offer, resolving `NAME`, `NAME@VERSION` and
`REGISTRY/NAME` to an unpacked addon folder, and resolving an addon's dependencies.

Three deliberate differences from upstream (upstream §6.2, §6.6, §13):

* registries are tried in name order (upstream: random map order), a preferred one first;
* a registry that fails (unreachable, HTTP 500, bad index, unsupported type) is skipped and reported
  as a `RegistryWarning` while the others serve — upstream fails every enable when one is down;
* `--version` that a registry cannot honour is an error, not silently ignored; a registry that has
  the addon but not the version does not stop the search either — another may have it, and only
  when none does is the version error raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from veladdon.addon.loader import parse_metadata
from veladdon.addon.model import Metadata, SourceFile
from veladdon.addon.versions import (
    VersionNotFoundError,
    dependency_version_to_install,
    merge_available,
)
from veladdon.errors import InputError, VeladdonError
from veladdon.registry.cache import RegistryCache
from veladdon.registry.helm import DEFAULT_MAX_AGE, IndexedRegistry
from veladdon.registry.http import DEFAULT_TIMEOUT
from veladdon.registry.local import UnsupportedRegistry, open_local
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


class Registry(Protocol):
    """What every registry reader offers."""

    name: str
    warnings: list[RegistryWarning]

    def list_addons(self) -> list[AvailableAddon]: ...

    def versions(self) -> dict[str, list[str]]: ...

    def fetch(
        self, name: str, version: str | None = None, cluster: ClusterVersions | None = None
    ) -> ResolvedAddon: ...


@dataclass(frozen=True)
class AddonRef:
    """`[REGISTRY/]NAME[@VERSION]` taken apart."""

    name: str
    registry: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        text = f"{self.registry}/{self.name}" if self.registry else self.name
        return f"{text}@{self.version}" if self.version else text


def parse_addon_ref(text: str, version: str | None = None) -> AddonRef:
    """Parse `NAME`, `NAME@VERSION`, `REGISTRY/NAME[@VERSION]`; `version` is `--version`. Both given
    and different (ignoring a leading `v`) is an InputError, as is `a/b/c` (upstream's check)."""
    raw = text.strip()
    ref_version: str | None = None
    if "@" in raw:
        raw, _, ref_version = raw.rpartition("@")
        if not ref_version:
            raise InputError(f"{text!r}: nothing after @", hint="write NAME@VERSION, e.g. fluxcd@1.2.0")
    if version and ref_version and version.removeprefix("v") != ref_version.removeprefix("v"):
        raise InputError(
            f"{text!r} asks for version {ref_version} but --version says {version}", hint="give one of them"
        )
    parts = raw.split("/")
    if len(parts) > 2 or not all(parts):
        raise InputError(
            f"{text!r} is not an addon name", hint="write NAME, NAME@VERSION or REGISTRY/NAME[@VERSION]"
        )
    registry, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    return AddonRef(name, registry, ref_version or version or None)


@dataclass(frozen=True)
class Listing:
    """Every addon each registry offers, sorted by (registry, name), and the registries that failed."""

    addons: tuple[AvailableAddon, ...]
    warnings: tuple[RegistryWarning, ...] = ()

    def available_versions(self) -> dict[str, list[str]]:
        """Name → versions merged across registries, highest first (for dependency resolution)."""
        per_registry: dict[str, dict[str, list[str]]] = {}
        for addon in self.addons:
            per_registry.setdefault(addon.registry, {})[addon.name] = list(addon.versions)
        return merge_available([per_registry[r] for r in sorted(per_registry)])


@dataclass
class Registries:
    """The configured registries, opened lazily; indexes are fetched once per instance.

    `cache_dir=None` uses the user cache (`$VELADDON_CACHE_DIR/registries`, …); `refresh` re-fetches
    indexes (and digest-less packages) even when the cache is fresh; `timeout` bounds each HTTP
    connect/read in seconds; cached indexes younger than `max_age` seconds are used as they are."""

    specs: Sequence[RegistrySpec]
    cache_dir: Path | None = None
    refresh: bool = False
    timeout: float = DEFAULT_TIMEOUT
    max_age: float = DEFAULT_MAX_AGE
    warnings: list[RegistryWarning] = field(default_factory=list)
    _open: dict[str, Registry | RegistryError] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.specs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InputError(f"registries named twice: {', '.join(duplicates)}")
        self._cache = RegistryCache(self.cache_dir)

    @property
    def names(self) -> list[str]:
        return sorted(s.name for s in self.specs)

    def spec(self, name: str) -> RegistrySpec:
        for s in self.specs:
            if s.name == name:
                return s
        raise RegistryNotConfigured(f"specified registry {name} not exist")

    def open(self, name: str) -> Registry:
        """The reader of registry `name`; RegistryError (remembered) when it cannot be opened."""
        if name not in self._open:
            spec = self.spec(name)
            try:
                self._open[name] = self._make(spec)
            except RegistryError as exc:
                self._open[name] = exc
        reader = self._open[name]
        if isinstance(reader, RegistryError):
            raise reader
        return reader

    def _make(self, spec: RegistrySpec) -> Registry:
        if spec.kind == "helm":
            return IndexedRegistry(
                spec, cache=self._cache, refresh=self.refresh, timeout=self.timeout, max_age=self.max_age
            )
        if spec.kind == "local":
            return open_local(spec, cache=self._cache, timeout=self.timeout)
        return UnsupportedRegistry(spec)

    def _warn(self, name: str, exc: VeladdonError) -> None:
        warning = RegistryWarning(name, exc.one_line())
        if warning not in self.warnings:
            self.warnings.append(warning)

    def _collect(self, reader: Registry) -> None:
        for w in reader.warnings:
            if w not in self.warnings:
                self.warnings.append(w)

    def order(self, prefer: str | None = None) -> list[str]:
        """Registry names in the order they are asked: `prefer` first, then by name."""
        names = self.names
        if prefer in names:
            names.remove(prefer)
            names.insert(0, prefer)
        return names

    # listing ---------------------------------------------------------------------------------

    def list_available(self, registry: str | None = None) -> Listing:
        """What every registry (or only `registry`) offers; failing registries become warnings."""
        names = [registry] if registry else self.names
        if registry:
            self.spec(registry)
        addons: list[AvailableAddon] = []
        for name in names:
            try:
                reader = self.open(name)
                found = reader.list_addons()
                self._collect(reader)
            except (RegistryError, InputError) as exc:
                self._warn(name, exc)
                continue
            addons.extend(found)
        addons.sort(key=lambda a: (a.registry, a.name))
        return Listing(tuple(addons), tuple(w for w in self.warnings if w.registry in names))

    # resolving -------------------------------------------------------------------------------

    def resolve(
        self,
        ref: str | AddonRef,
        *,
        version: str | None = None,
        cluster: ClusterVersions | None = None,
        prefer: str | None = None,
    ) -> ResolvedAddon:
        """Fetch the addon `ref` names from the first registry that can serve it.

        `version` is `--version` (must agree with an `@VERSION` in `ref`); `cluster` steers the
        default version choice toward one whose requirements suit the cluster; `prefer` is asked first
        (dependencies: the parent's registry). Raises InputError for a bad ref or unknown registry,
        VersionNotFoundError / VersionUnavailableError when registries have the addon but not that
        version, AddonNotFoundError when none has it, RegistryError when every registry asked failed.
        The result's `warnings` lists the registries skipped on the way."""
        parsed = parse_addon_ref(ref, version) if isinstance(ref, str) else ref
        if isinstance(ref, AddonRef) and version:
            parsed = parse_addon_ref(str(ref), version)
        candidates = [parsed.registry] if parsed.registry else self.order(prefer)
        if parsed.registry:
            self.spec(parsed.registry)
        version_error: VeladdonError | None = None
        failures: list[RegistryWarning] = []
        for name in candidates:
            try:
                reader = self.open(name)
            except RegistryError as exc:
                self._warn(name, exc)
                failures.append(RegistryWarning(name, exc.one_line()))
                continue
            try:
                resolved = reader.fetch(parsed.name, parsed.version, cluster)
            except AddonNotFoundError:
                continue
            except (VersionNotFoundError, VersionUnavailableError) as exc:
                version_error = version_error or exc
                continue
            except (RegistryError, InputError) as exc:
                self._warn(name, exc)
                failures.append(RegistryWarning(name, exc.one_line()))
                continue
            finally:
                self._collect(reader)
            return dataclasses.replace(resolved, warnings=tuple(self.warnings))
        if version_error is not None:
            raise version_error
        where = f"registry {parsed.registry}" if parsed.registry else "all candidate registries"
        if candidates and len(failures) == len(candidates):
            raise RegistryError(
                f"addon: {parsed.name} cannot be fetched: every registry asked failed ("
                + "; ".join(str(f) for f in failures)
                + ")",
                hint="check the registries' URLs and credentials, or try again with --refresh later",
            )
        hint = None
        if failures:
            hint = "these registries could not be read: " + "; ".join(str(f) for f in failures)
        elif not candidates:
            hint = "no registry is configured: `veladdon registry add NAME --type helm --endpoint URL`"
        raise AddonNotFoundError(f"addon: {parsed.name} not found in {where}", hint=hint)

    def resolve_dependencies(
        self,
        addon: ResolvedAddon | Path,
        *,
        installed: Mapping[str, str] | None = None,
        cluster: ClusterVersions | None = None,
        registry: str | None = None,
    ) -> list[ResolvedAddon]:
        """Every dependency of `addon` that is not installed, resolved and downloaded, in install order
        (a dependency's own dependencies before it), each from the parent's registry first, then the
        others. `installed` maps name → installed version (from the cluster); an installed dependency
        that satisfies its constraint is skipped. Versions are chosen as upstream does
        (`dependency_version_to_install`): DependencyError with upstream's texts when none fits."""
        installed = dict(installed or {})
        available: dict[str, list[str]] | None = None
        plan: list[ResolvedAddon] = []
        visiting: set[str] = set()
        done: set[str] = set()

        def visit(folder: Path, parent_registry: str | None) -> None:
            nonlocal available
            meta = _read_metadata(folder)
            visiting.add(meta.name)
            for dep in meta.dependencies:
                if dep.name in done or dep.name in visiting:
                    continue
                if available is None:
                    available = self.list_available().available_versions()
                chosen = dependency_version_to_install(
                    dep.name, dep.version, installed.get(dep.name), available.get(dep.name)
                )
                if dep.name in installed:
                    continue
                resolved = self.resolve(
                    AddonRef(dep.name, None, chosen), cluster=cluster, prefer=parent_registry
                )
                visit(resolved.path, resolved.registry)
                done.add(dep.name)
                plan.append(resolved)
            visiting.discard(meta.name)

        if isinstance(addon, ResolvedAddon):
            visit(addon.path, registry or addon.registry)
        else:
            visit(Path(addon), registry)
        return plan


def _read_metadata(folder: Path) -> Metadata:
    path = folder / "metadata.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", path=path) from exc
    return parse_metadata(SourceFile(path, "metadata.yaml", text))


# --------------------------------------------------------------------------------------------------
# One-call helpers


def list_available(
    specs: Iterable[RegistrySpec],
    *,
    registry: str | None = None,
    cache_dir: Path | None = None,
    refresh: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Listing:
    """What the registries offer (see `Registries.list_available`)."""
    return Registries(list(specs), cache_dir=cache_dir, refresh=refresh, timeout=timeout).list_available(
        registry
    )


def resolve(
    ref: str | AddonRef,
    specs: Iterable[RegistrySpec],
    *,
    version: str | None = None,
    cluster: ClusterVersions | None = None,
    prefer: str | None = None,
    cache_dir: Path | None = None,
    refresh: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ResolvedAddon:
    """Resolve and download one addon (see `Registries.resolve`)."""
    regs = Registries(list(specs), cache_dir=cache_dir, refresh=refresh, timeout=timeout)
    return regs.resolve(ref, version=version, cluster=cluster, prefer=prefer)


__all__ = [
    "AddonRef",
    "Listing",
    "Registries",
    "Registry",
    "list_available",
    "parse_addon_ref",
    "resolve",
]
